// One address: its flag with the category's why and what to do, suppression, recent messages,
// history, and the operator's actions (clear flag, suppress/unsuppress, resend).
import { enc, get, post } from '../lib/api.js';
import { learn, remember } from '../lib/categories.js';
import { categoryBadge } from '../components/category.js';
import { h, replace } from '../lib/dom.js';
import { count } from '../lib/format.js';
import { go, recipientHref } from '../lib/router.js';
import { errorBox, loading, note } from '../components/notice.js';
import { outcomeIcon, statusChip } from '../components/outcome.js';
import { dataTable } from '../components/table.js';
import { timeEl } from '../components/time.js';

function lookupForm(current) {
  const input = h('input', { type: 'email', name: 'email', required: true, value: current ?? '', placeholder: 'name@example.com', autocomplete: 'off' });
  const form = h('form', { class: 'lookup', role: 'search', 'aria-label': 'Find a recipient' },
    h('label', {}, 'Recipient address ', input), h('button', { type: 'submit' }, 'Open'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (input.value.trim()) go(recipientHref(input.value.trim()));
  });
  return form;
}

function statusPanel(v) {
  const r = v.recipient;
  const flag = r.invalid
    ? h('div', { class: 'panel flagged', id: 'flag-state' },
      h('h2', {}, h('span', { 'aria-hidden': 'true' }, '⚠ '), 'Flagged: invalid email'),
      h('p', {}, 'Reason ', h('code', {}, r.reason ?? 'unknown'), r.category ? [', category ', h('strong', {}, r.category)] : null,
        r.flaggedAt ? [', since ', timeEl(r.flaggedAt)] : null, r.attemptsSinceFlag ? ` (${count(r.attemptsSinceFlag)} attempts since)` : null, '.'))
    : h('div', { class: 'panel ok', id: 'flag-state' }, h('h2', {}, 'Not flagged'),
      h('p', {}, r.category ? ['Last failure category: ', h('strong', {}, r.category), r.reason ? [' (', h('code', {}, r.reason), ')'] : null, '.'] : 'No invalid-address signal on record.'));
  const advice = v.info
    ? h('div', { class: 'panel advice' },
      h('h2', {}, v.info.category),
      h('p', { class: 'why' }, h('strong', {}, 'Why: '), v.info.why),
      h('p', { class: 'todo' }, h('strong', {}, 'What to do: '), v.info.todo))
    : null;
  const supp = v.suppression.suppressed
    ? h('div', { class: 'panel suppressed', id: 'suppression-state' }, h('h2', {}, 'Suppressed'),
      h('p', {}, 'New mail to this address is refused', v.suppression.since ? [' since ', timeEl(v.suppression.since)] : null, '.'),
      v.suppression.reason ? h('p', {}, 'Reason: ', v.suppression.reason) : null)
    : h('div', { class: 'panel', id: 'suppression-state' }, h('h2', {}, 'Not suppressed'), h('p', {}, 'Mail to this address is accepted.'));
  return h('div', { class: 'panels' }, flag, advice, supp);
}

function facts(r) {
  const row = (k, v) => [h('dt', {}, k), h('dd', {}, v ?? '—')];
  return h('dl', { class: 'facts' },
    row('Last status', r.lastStatus ? [outcomeIcon(r.lastStatus), ' ', r.lastStatus] : '—'),
    row('Last event', timeEl(r.lastEventAt)),
    row('Last reply', r.lastResponse ? h('span', { class: 'reply' }, r.lastResponse) : '—'),
    row('Delivered / failed', `${count(r.deliveredCount ?? 0)} / ${count(r.failedCount ?? 0)}`),
    row('Consecutive failures', count(r.consecutiveFailures ?? 0)),
    row('Reconciled (log said delivered)', count(r.reconciledCount ?? 0)));
}

function actions(v, email, rerender) {
  const r = v.recipient;
  const out = h('div', { class: 'action-result', role: 'status', 'aria-live': 'polite' });
  const run = (label, fn) => async (e) => {
    const btn = e.currentTarget;
    btn.disabled = true;
    replace(out, `${label}…`);
    try {
      const message = await fn();
      await rerender(message);
    } catch (err) {
      replace(out, errorBox(err, label));
      btn.disabled = false;
    }
  };
  const reason = h('input', { type: 'text', name: 'reason', placeholder: 'why (optional)', maxlength: '500', 'aria-label': 'Suppression reason' });
  return h('section', { class: 'actions', 'aria-labelledby': 'actions-h' },
    h('h2', { id: 'actions-h' }, 'Actions'),
    h('div', { class: 'buttons' },
      h('button', { type: 'button', id: 'clear-flag', disabled: !r.invalid, title: r.invalid ? 'The address was corrected or confirmed: stop treating it as invalid' : 'The address is not flagged',
        onclick: run('Clear flag', async () => { await post(`recipients/${enc(email)}/clear`); return 'Flag cleared.'; }) }, 'Clear flag'),
      v.suppression.suppressed
        ? h('button', { type: 'button', id: 'unsuppress', onclick: run('Unsuppress', async () => { await post(`recipients/${enc(email)}/unsuppress`); return 'Suppression lifted.'; }) }, 'Unsuppress')
        : h('span', { class: 'inline-form' }, reason,
          h('button', { type: 'button', id: 'suppress', onclick: run('Suppress', async () => { await post(`recipients/${enc(email)}/suppress`, reason.value.trim() ? { reason: reason.value.trim() } : {}); return 'Address suppressed.'; }) }, 'Suppress')),
      h('button', { type: 'button', id: 'resend', title: 'Re-submit the messages to this address that bounced or expired',
        onclick: run('Resend', async () => {
          const res = await post(`recipients/${enc(email)}/resend`, {});
          return `Resent ${count(res.resent.length)} message(s)${res.failed.length ? `, ${count(res.failed.length)} failed: ${res.failed.map((f) => f.error).join('; ')}` : ''}.`;
        }) }, 'Resend failed messages')),
    out);
}

function messagesTable(list) {
  return dataTable({
    caption: 'Recent messages to this address',
    empty: 'No messages on record.',
    columns: [
      { label: 'Received', cell: (m) => timeEl(m.receivedAt), class: 'nowrap' },
      { label: 'Outcome', cell: (m) => [outcomeIcon(m.status, m.lastResponse), ' ', statusChip(m.status)] },
      { label: 'From', cell: (m) => m.from || '<>' },
      { label: 'Queue id', cell: (m) => h('code', {}, m.queueId) },
      { label: 'Last reply', cell: (m) => (m.lastResponse ? h('span', { class: 'reply' }, m.lastResponse) : '—') },
    ],
    rows: list,
  });
}

function eventDetail(e) {
  if (e.response) return e.response;
  if (e.diagnostic) return e.diagnostic;
  if (e.evidence) return `${e.evidence.file}:${e.evidence.line} ${e.evidence.text}`;
  return e.reason ? `reason ${e.reason}${e.queueId ? `, message ${e.queueId}` : ''}` : '';
}

function history(events) {
  return dataTable({
    caption: 'History (newest first)',
    empty: 'No events.',
    columns: [
      { label: 'Time', cell: (e) => timeEl(e.time), class: 'nowrap' },
      { label: 'Event', cell: (e) => [h('code', {}, e.type), e.category ? [' ', categoryBadge(e.category, e.reason)] : null] },
      { label: 'By / status', cell: (e) => e.by ?? e.status ?? e.verdict ?? e.kind ?? '' },
      { label: 'Detail', cell: (e) => h('span', { class: 'reply' }, eventDetail(e)) },
    ],
    rows: [...events].reverse().slice(0, 200),
  });
}

export async function render(root, route) {
  const email = route.params[0];
  if (!email) {
    replace(root, h('h1', { tabindex: '-1' }, 'Recipient'), lookupForm(''), note('Enter an address, or open one from Activity.'));
    return;
  }
  const body = h('div', {}, loading());
  replace(root, h('h1', { tabindex: '-1', class: 'recipient-title' }, h('span', { class: 'sr-only' }, 'Recipient '), email), lookupForm(email), body);
  const title = root.querySelector('h1');
  const draw = async (message) => {
    const [v] = await Promise.all([get(`recipients/${enc(email)}`), learn()]);
    remember(v.info);
    replace(title, h('span', { class: 'sr-only' }, 'Recipient '), email, v.recipient.category ? [' ', categoryBadge(v.recipient.category, v.recipient.reason)] : null);
    replace(body, statusPanel(v), actions(v, email, draw), facts(v.recipient), messagesTable(v.messages), history(v.history));
    if (message) replace(body.querySelector('.action-result'), message);
  };
  try {
    await draw();
  } catch (err) {
    replace(body, errorBox(err, err.status === 404 ? 'Unknown address' : 'Could not load the recipient'));
  }
}
