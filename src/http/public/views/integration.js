// Integration errors: failures that were not about a recipient (connection, TLS, AUTH, DNS...),
// grouped by cause, biggest first.
import { get } from '../lib/api.js';
import { h, replace } from '../lib/dom.js';
import { count, plural } from '../lib/format.js';
import { href } from '../lib/router.js';
import { addressLink, fillCategories } from '../components/category.js';
import { errorBox, loading, note } from '../components/notice.js';
import { AGES, sincePicker } from '../components/since.js';
import { dataTable } from '../components/table.js';
import { timeEl } from '../components/time.js';

function causeCard(c) {
  return h('article', { class: 'card', dataset: { cause: c.cause } },
    h('h2', {}, h('code', {}, c.cause), ` — ${plural(c.count, 'error')}, ${plural(c.recipients, 'recipient')}`),
    h('p', {}, 'From ', timeEl(c.firstAt), ' to ', timeEl(c.lastAt), c.hosts.length ? ['; hosts: ', c.hosts.join(', ')] : null, '.'),
    h('p', {}, 'Last reply: ', h('span', { class: 'reply' }, c.lastResponse || '—')),
    c.queueIds.length ? h('p', {}, 'Messages: ', c.queueIds.map((id, i) => [i ? ', ' : '', h('code', {}, id)])) : null,
    h('details', {}, h('summary', {}, `Recent ${plural(c.recent.length, 'event')}`),
      dataTable({
        columns: [
          { label: 'Time', cell: (e) => timeEl(e.time), class: 'nowrap' },
          { label: 'Host', cell: (e) => e.mx ?? '—' },
          { label: 'Code', cell: (e) => (e.code === null || e.code === undefined ? '—' : String(e.code)) },
          { label: 'Reply', cell: (e) => h('span', { class: 'reply' }, e.response) },
          { label: 'Recipients', cell: (e) => (e.rcpts ?? []).map((r, i) => [i ? ', ' : '', addressLink(r)]) },
        ],
        rows: [...c.recent].reverse(),
      })));
}

export async function render(root, route) {
  const since = sincePicker(route, { options: AGES });
  const body = h('div', {}, loading());
  replace(root, h('h1', { tabindex: '-1' }, 'Integration errors'),
    note('Failures not caused by a recipient: Rebound could not talk to the upstream as configured. See also the ', h('a', { href: href('diagnose') }, 'diagnosis'), '.'),
    since.el, body);
  try {
    const r = await get('integration-errors', { since: since.value });
    replace(body, h('p', { class: 'summary', role: 'status' }, `${count(r.total)} integration ${r.total === 1 ? 'error' : 'errors'} in ${r.causes.length} ${r.causes.length === 1 ? 'cause' : 'causes'}.`),
      r.causes.length ? r.causes.map(causeCard) : note('None. Connections, TLS and AUTH to the upstream are working.'));
    await fillCategories(body).catch(() => undefined);
  } catch (err) {
    replace(body, errorBox(err, 'Could not load integration errors'));
  }
}
