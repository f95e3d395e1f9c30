// Live tail: store events as they happen, over the SSE stream (read with fetch, see lib/sse.js).
import { h, replace } from '../lib/dom.js';
import { recipientHref } from '../lib/router.js';
import { openEventStream } from '../lib/sse.js';
import { learn } from '../lib/categories.js';
import { CATEGORY_STYLE } from '../lib/category-style.js';
import { categoryBadge } from '../components/category.js';
import { outcomeIcon } from '../components/outcome.js';
import { timeEl } from '../components/time.js';

const MAX_ROWS = 500;
const TYPES = ['attempt', 'integration', 'report', 'reconcile', 'flag', 'clear', 'suppress', 'unsuppress'];

function who(e) {
  const list = e.type === 'integration' ? e.rcpts ?? [] : e.rcpt ? [e.rcpt] : [];
  return [list.map((r, i) => [i ? ', ' : '', h('a', { href: recipientHref(r) }, r)]), e.category ? [' ', categoryBadge(e.category, e.reason)] : null];
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
  const category = CATEGORY_STYLE[route.query.get('category')] ? route.query.get('category') : '';
  learn();
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
  const catSel = h('select', { name: 'category' }, [['', 'any'], ...Object.keys(CATEGORY_STYLE).map((c) => [c, c])].map(([v, t]) => h('option', { value: v, selected: v === category }, t)));
  const form = h('form', { class: 'filters', 'aria-label': 'Event filters' }, h('fieldset', {}, h('legend', {}, 'Event types'), boxes), h('label', {}, 'Category', catSel));
  form.addEventListener('change', () => {
    const on = boxes.map((b) => b.querySelector('input')).filter((i) => i.checked).map((i) => i.value);
    const qs = new URLSearchParams();
    if (on.length && on.length < TYPES.length) qs.set('types', on.join(','));
    if (catSel.value) qs.set('category', catSel.value);
    location.hash = `#/live${qs.size ? `?${qs}` : ''}`;
  });
  replace(root, h('h1', { tabindex: '-1' }, 'Live tail'),
    h('p', { class: 'live-bar' }, 'Stream: ', status, ' ', pauseBtn),
    form,
    h('div', { class: 'table-wrap' }, h('table', {}, h('caption', {}, 'Events as they happen, newest first'),
      h('thead', {}, h('tr', {}, ['Time', 'Event', 'Recipient', 'Queue id', 'Detail'].map((c) => h('th', { scope: 'col' }, c)))), tbody)));

  const stream = openEventStream({
    query: { types: wanted.size ? [...wanted].join(',') : '', category },
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
