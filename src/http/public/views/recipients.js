// Recipients: every address Rebound has sent to, most recent first, with its category badge, flag
// and suppression; filters by text, category, flag and suppression; CSV of the filtered list.
import { get } from '../lib/api.js';
import { infoFor, learn } from '../lib/categories.js';
import { h, replace } from '../lib/dom.js';
import { count } from '../lib/format.js';
import { go, href, recipientHref } from '../lib/router.js';
import { enums } from '../lib/schema.js';
import { categoryBadge } from '../components/category.js';
import { invalidFlag } from '../components/flag.js';
import { listBar, pager, selectField } from '../components/list.js';
import { errorBox, loading } from '../components/notice.js';
import { outcomeIcon } from '../components/outcome.js';
import { dataTable } from '../components/table.js';
import { timeEl } from '../components/time.js';

const PAGE = 100;
const FILTERS = ['q', 'category', 'flagged', 'suppressed'];

async function filterForm(query) {
  const e = await enums();
  const v = (k) => query.get(k) ?? '';
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter recipients' },
    h('label', {}, 'Address contains', h('input', { type: 'search', name: 'q', value: v('q'), placeholder: '@example.com', autocomplete: 'off' })),
    selectField('category', 'Category', [['', 'any'], ...e.category.map((c) => [c, c])], v('category')),
    selectField('flagged', 'Flagged invalid', [['', 'any'], ['true', 'flagged'], ['false', 'not flagged']], v('flagged')),
    selectField('suppressed', 'Suppressed', [['', 'any'], ['true', 'suppressed'], ['false', 'not suppressed']], v('suppressed')),
    h('div', { class: 'filter-actions' }, h('button', { type: 'submit' }, 'Apply'), h('a', { href: href('recipients'), class: 'button secondary' }, 'Reset')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const data = new FormData(form);
    go(href('recipients', [], Object.fromEntries(FILTERS.map((k) => [k, String(data.get(k) ?? '').trim()]))));
  });
  form.addEventListener('change', (ev) => ev.target instanceof HTMLSelectElement && form.requestSubmit());
  return form;
}

export async function render(root, route) {
  const q = route.query;
  const offset = Math.max(0, Number(q.get('offset')) || 0);
  const filters = Object.fromEntries(FILTERS.map((k) => [k, q.get(k) ?? '']));
  const data = Promise.all([get('recipients', { ...filters, limit: PAGE, offset }), learn()]);
  data.catch(() => undefined);
  const results = h('div', {}, loading('Loading recipients…'));
  replace(root, h('h1', { tabindex: '-1' }, 'Recipients'), await filterForm(q), results);
  try {
    const [list] = await data;
    replace(results,
      listBar(list.total, 'recipient', 'recipients', filters),
      dataTable({
        caption: 'Recipients, most recent activity first',
        empty: 'No recipients match these filters.',
        columns: [
          { label: 'Address', cell: (r) => h('span', { class: 'addr', dataset: { rcpt: r.email } }, h('a', { href: recipientHref(r.email) }, r.email), ' ', categoryBadge(r.category, r.reason), r.invalid ? [' ', invalidFlag(r, infoFor(r.category))] : null) },
          { label: 'Last outcome', cell: (r) => (r.lastStatus ? [outcomeIcon(r.lastStatus, r.lastResponse), ' ', r.lastStatus] : '—') },
          { label: 'Last event', cell: (r) => timeEl(r.lastEventAt), class: 'nowrap' },
          { label: 'Delivered / failed', cell: (r) => `${count(r.deliveredCount ?? 0)} / ${count(r.failedCount ?? 0)}` },
          { label: 'Suppressed', cell: (r) => (r.suppressed ? h('span', { class: 'chip chip-deferred' }, 'suppressed') : '') },
        ],
        rows: list.recipients,
      }),
      pager(list.total, offset, PAGE, (o) => href('recipients', [], { ...filters, offset: o || '' })));
  } catch (err) {
    replace(results, errorBox(err, 'Could not load recipients'));
  }
}
