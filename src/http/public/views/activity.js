// Activity > Email: recent messages, newest first, with each recipient's outcome and the
// invalid-email flag on flagged addresses. Filters live in the URL (#/activity?status=...).
import { get } from '../lib/api.js';
import { infoFor, learn } from '../lib/categories.js';
import { h, replace } from '../lib/dom.js';
import { href, go, recipientHref } from '../lib/router.js';
import { enums } from '../lib/schema.js';
import { categoryBadge } from '../components/category.js';
import { invalidFlag } from '../components/flag.js';
import { listBar, pager, selectField } from '../components/list.js';
import { errorBox, loading } from '../components/notice.js';
import { outcomeIcon } from '../components/outcome.js';
import { dataTable } from '../components/table.js';
import { timeEl } from '../components/time.js';

const PAGE = 50;
const FILTERS = ['status', 'recipient', 'category', 'reason', 'since'];
const SINCE = [['', 'any time'], ['1h', 'last hour'], ['24h', 'last 24 hours'], ['7d', 'last 7 days'], ['30d', 'last 30 days']];

async function filterForm(query) {
  const e = await enums();
  const v = (k) => query.get(k) ?? '';
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter messages' },
    selectField('status', 'Status', [['', 'any'], ...e.status.map((s) => [s, s])], v('status')),
    h('label', {}, 'Recipient', h('input', { type: 'search', name: 'recipient', value: v('recipient'), placeholder: 'name@example.com', autocomplete: 'off' })),
    selectField('category', 'Category', [['', 'any'], ...e.category.map((s) => [s, s])], v('category')),
    e.reason.length
      ? selectField('reason', 'Reason', [['', 'any'], ...e.reason.map((s) => [s, s])], v('reason'))
      : h('label', {}, 'Reason', h('input', { type: 'text', name: 'reason', value: v('reason') })),
    selectField('since', 'Received', SINCE, v('since')),
    h('div', { class: 'filter-actions' },
      h('button', { type: 'submit' }, 'Apply'),
      h('a', { href: href('activity'), class: 'button secondary' }, 'Reset')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const data = new FormData(form);
    go(href('activity', [], Object.fromEntries(FILTERS.map((k) => [k, String(data.get(k) ?? '').trim()]))));
  });
  form.addEventListener('change', (ev) => {
    if (ev.target instanceof HTMLSelectElement) form.requestSubmit();
  });
  return form;
}

function recipientCell(m) {
  return h('ul', { class: 'rcpts' }, m.rcpts.map((r) => {
    // Each message recipient carries its address's flag (invalid, reason, category) from the API.
    const flag = r.invalid ? { email: r.rcpt, invalid: true, reason: r.reason, category: r.category } : null;
    const failed = r.status !== 'delivered' && r.status !== 'queued' && r.lastResponse;
    return h('li', { dataset: { rcpt: r.rcpt, status: r.status } },
      outcomeIcon(r.status, r.lastResponse),
      ' ',
      h('a', { href: recipientHref(r.rcpt) }, r.rcpt),
      // What happened in this message: a complaint or an auto-reply after a delivery shows here too.
      r.outcomeCategory ? [' ', categoryBadge(r.outcomeCategory, r.outcomeReason)] : null,
      flag ? [' ', invalidFlag(flag, infoFor(flag.category))] : null,
      failed ? h('div', { class: 'reply' }, r.lastResponse) : null);
  }));
}

export async function render(root, route) {
  const q = route.query;
  const offset = Math.max(0, Number(q.get('offset')) || 0);
  const filters = Object.fromEntries(FILTERS.map((k) => [k, q.get(k) ?? '']));
  // Data and the filter form's value lists load side by side.
  const data = Promise.all([get('messages', { ...filters, limit: PAGE, offset }), learn()]);
  data.catch(() => undefined);
  const results = h('div', {}, loading('Loading messages…'));
  replace(root, h('h1', { tabindex: '-1' }, 'Activity › Email'), await filterForm(q), results);
  try {
    const [list] = await data;
    replace(results,
      listBar(list.total, 'message', 'messages', filters),
      dataTable({
        caption: 'Messages, newest first',
        empty: 'No messages match these filters.',
        columns: [
          { label: 'Received', cell: (m) => timeEl(m.receivedAt), class: 'nowrap' },
          { label: 'From', cell: (m) => m.from || '<> (null sender)' },
          { label: 'Recipients and outcome', cell: (m) => recipientCell(m) },
          { label: 'Message', cell: (m) => h('span', { class: 'ids' }, h('code', { title: 'queue id' }, m.queueId), m.messageId ? h('small', { title: 'Message-ID' }, m.messageId) : null) },
          { label: 'State', cell: (m) => (m.status === 'queued' ? 'in queue' : 'done') },
        ],
        rows: list.messages,
      }),
      pager(list.total, offset, PAGE, (o) => href('activity', [], { ...filters, offset: o || '' }), ['← Newer', 'Older →']));
  } catch (err) {
    replace(results, errorBox(err, 'Could not load messages'));
  }
}
