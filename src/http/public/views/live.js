// Live tail: store events as they happen, over the SSE stream (read with fetch, see lib/sse.js).
import { h, replace } from '../lib/dom.js';
import { recipientHref } from '../lib/router.js';
import { openEventStream } from '../lib/sse.js';
import { outcomeIcon } from '../components/outcome.js';
import { timeEl } from '../components/time.js';

const MAX_ROWS = 500;
const TYPES = ['attempt', 'integration', 'report', 'reconcile', 'flag', 'clear', 'suppress', 'unsuppress'];

function who(e) {
  const list = e.type === 'integration' ? e.rcpts ?? [] : e.rcpt ? [e.rcpt] : [];
  return list.map((r, i) => [i ? ', ' : '', h('a', { href: recipientHref(r) }, r)]);
}

function row(e) {
  const detail = e.response ?? e.diagnostic ?? (e.evidence ? `${e.evidence.file}:${e.evidence.line}` : e.reason ? `reason ${e.reason}${e.by ? `, by ${e.by}` : ''}` : '');
  return h('tr', { class: `ev ev-${TYPES.includes(e.type) ? e.type : 'other'}` },
    h('td', { class: 'nowrap' }, timeEl(e.time)),
    h('td', {}, e.type === 'attempt' ? [outcomeIcon(e.status), ' '] : null, h('code', {}, e.type)),
    h('td', {}, who(e)),
    h('td', {}, e.queueId ? h('code', {}, e.queueId) : '—'),
    h('td', {}, h('span', { class: 'reply' }, detail)));
}

export function render(root, route) {
  const wanted = new Set((route.query.get('types') ?? '').split(',').filter(Boolean));
  const status = h('span', { class: 'live-status', role: 'status' }, 'connecting…');
  const tbody = h('tbody', {}, h('tr', { class: 'placeholder' }, h('td', { colspan: 5, class: 'empty' }, 'Waiting for events…')));
  let paused = false;
  const pauseBtn = h('button', { type: 'button', 'aria-pressed': 'false' }, 'Pause');
  pauseBtn.addEventListener('click', () => {
    paused = !paused;
    pauseBtn.setAttribute('aria-pressed', String(paused));
    pauseBtn.textContent = paused ? 'Resume' : 'Pause';
  });
  const boxes = TYPES.map((t) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'types', value: t, checked: wanted.size === 0 || wanted.has(t) }), ` ${t}`));
  const form = h('form', { class: 'filters', 'aria-label': 'Event types' }, h('fieldset', {}, h('legend', {}, 'Event types'), boxes));
  form.addEventListener('change', () => {
    const on = boxes.map((b) => b.querySelector('input')).filter((i) => i.checked).map((i) => i.value);
    location.hash = `#/live${on.length && on.length < TYPES.length ? `?types=${on.join(',')}` : ''}`;
  });
  replace(root, h('h1', { tabindex: '-1' }, 'Live tail'),
    h('p', { class: 'live-bar' }, 'Stream: ', status, ' ', pauseBtn),
    form,
    h('div', { class: 'table-wrap' }, h('table', {}, h('caption', {}, 'Events as they happen, newest first'),
      h('thead', {}, h('tr', {}, ['Time', 'Event', 'Recipient', 'Queue id', 'Detail'].map((c) => h('th', { scope: 'col' }, c)))), tbody)));

  const stream = openEventStream({
    query: wanted.size ? { types: [...wanted].join(',') } : {},
    onStatus: (s, detail) => { status.textContent = detail ? `${s} (${detail})` : s; status.dataset.state = s; },
    onEvent: (m) => {
      if (paused) return;
      let e;
      try {
        e = JSON.parse(m.data);
      } catch {
        return;
      }
      tbody.querySelector('.placeholder')?.remove();
      tbody.prepend(row(e));
      while (tbody.rows.length > MAX_ROWS) tbody.lastElementChild.remove();
    },
  });
  return () => stream.stop();
}
