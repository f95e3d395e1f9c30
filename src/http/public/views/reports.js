// Reports that came back to the return path (bounces, complaints, auto-replies); by default
// the unmatched ones, which Rebound could not tie to a message it sent.
import { get } from '../lib/api.js';
import { h, replace } from '../lib/dom.js';
import { count } from '../lib/format.js';
import { recipientHref } from '../lib/router.js';
import { learn } from '../lib/categories.js';
import { enums } from '../lib/schema.js';
import { categoryBadge } from '../components/category.js';
import { csvButton } from '../components/csv.js';
import { errorBox, loading, note } from '../components/notice.js';
import { AGES, sincePicker } from '../components/since.js';
import { dataTable } from '../components/table.js';
import { timeEl } from '../components/time.js';

const MATCHED = [['false', 'unmatched'], ['true', 'matched'], ['', 'all']];

export async function render(root, route) {
  const { category: cats } = await enums();
  const q = (k) => route.query.get(k) ?? '';
  const matched = sincePicker(route, { name: 'matched', label: 'Show', options: MATCHED, extra: { since: q('since'), category: q('category') } });
  const since = sincePicker(route, { options: AGES, extra: { matched: matched.value, category: q('category') } });
  const category = sincePicker(route, { name: 'category', label: 'Category', options: [['', 'any'], ...cats.map((c) => [c, c])], extra: { matched: matched.value, since: since.value } });
  const body = h('div', {}, loading());
  replace(root, h('h1', { tabindex: '-1' }, 'Reports'),
    note('Bounces, complaints and auto-replies received on the return path. Unmatched ones could not be tied to a message Rebound sent (forged, too old, or a bad VERP signature).'),
    h('div', { class: 'filter-row' }, matched.el, since.el, category.el), body);
  try {
    const filters = { since: since.value, matched: matched.value, category: category.value };
    const [r] = await Promise.all([get('reports', { ...filters, limit: 500 }), learn()]);
    replace(body,
      h('div', { class: 'list-bar' },
        h('p', { class: 'summary', role: 'status' }, `${count(r.total)} ${r.total === 1 ? 'report' : 'reports'}${r.total > r.reports.length ? `, newest ${count(r.reports.length)} shown` : ''}.`),
        csvButton('reports', filters, 'reports')),
      dataTable({
        caption: 'Reports, newest first',
        empty: 'No reports in this window.',
        columns: [
          { label: 'Time', cell: (e) => timeEl(e.time), class: 'nowrap' },
          { label: 'Kind', cell: (e) => h('code', {}, e.kind) },
          { label: 'Reason', cell: (e) => h('code', {}, e.reason) },
          { label: 'Status', cell: (e) => [e.status, e.replycode ? ` (${e.replycode})` : ''] },
          { label: 'Recipient', cell: (e) => [e.rcpt ? h('a', { href: recipientHref(e.rcpt) }, e.rcpt) : '—', ' ', categoryBadge(e.category, e.reason)] },
          { label: 'Tied to', cell: (e) => (e.verified ? [h('code', {}, e.queueId ?? '—'), e.matchedBy ? h('small', {}, ` by ${e.matchedBy}`) : null] : h('span', { class: 'unmatched' }, 'unmatched', e.unmatchedWhy ? `: ${e.unmatchedWhy}` : '')) },
          { label: 'Diagnostic', cell: (e) => h('span', { class: 'reply' }, e.diagnostic || '—') },
        ],
        rows: r.reports,
      }));
  } catch (err) {
    replace(body, errorBox(err, 'Could not load reports'));
  }
}
