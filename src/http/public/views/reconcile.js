// Reconciliation: upload a delivery log (Postfix, Exim, Exchange, ...) and see which recorded
// failures it confirms and which it contradicts (the upstream said "failed", the log says delivered).
import { request } from '../lib/api.js';
import { h, replace } from '../lib/dom.js';
import { count } from '../lib/format.js';
import { enums } from '../lib/schema.js';
import { addressLink, fillCategories } from '../components/category.js';
import { errorBox, note } from '../components/notice.js';
import { dataTable } from '../components/table.js';
import { timeEl } from '../components/time.js';

function summary(r) {
  const item = (label, n) => h('li', {}, h('span', { class: 'stat-n' }, count(n)), ' ', h('span', { class: 'stat-label' }, label));
  return h('ul', { class: 'stats' },
    item('Failures searched for', r.candidates), item('Log records matched', r.matched), item('Mismatches (log says delivered)', r.mismatches),
    item('Confirmed failures', r.confirmed), item('Not in the log', r.unmatched), item(r.dryRun ? 'Would change' : 'Changed', r.changed));
}

function results(r) {
  const rcpt = (x) => addressLink(x.rcpt);
  const hosts = Object.entries(r.byUpstream ?? {}).sort((a, b) => b[1] - a[1]);
  return [
    h('h2', {}, r.dryRun ? 'Result (dry run: nothing was changed)' : 'Result'),
    summary(r),
    h('p', { class: 'muted' }, `Took ${count(r.elapsedMs)} ms.`),
    dataTable({
      caption: 'Files read', columns: [
        { label: 'File', cell: (f) => f.file.split('/').pop() },
        { label: 'Format', cell: (f) => f.format ?? '—' },
        { label: 'Lines', cell: (f) => count(f.lines) },
        { label: 'Records', cell: (f) => count(f.records) },
        { label: 'Malformed', cell: (f) => [count(f.malformed), f.malformedSamples?.length ? h('details', {}, h('summary', {}, 'samples'), h('ul', {}, f.malformedSamples.map((s) => h('li', { class: 'reply' }, JSON.stringify(s))))) : null] },
        { label: 'Problem', cell: (f) => [f.error ?? '', f.truncated ? ` ${f.truncated}` : ''] },
      ], rows: r.files ?? [],
    }),
    hosts.length ? dataTable({ caption: 'Mismatches per upstream host', columns: [{ label: 'Host', cell: (x) => x[0] }, { label: 'Mismatches', cell: (x) => count(x[1]) }], rows: hosts }) : null,
    dataTable({
      caption: 'Verdicts', empty: 'The log matched none of the recorded failures.', columns: [
        { label: 'Verdict', cell: (m) => h('span', { class: `chip chip-${m.verdict === 'mismatch' ? 'deferred' : 'bounced'}` }, m.verdict) },
        { label: 'Recipient', cell: rcpt },
        { label: 'Queue id', cell: (m) => h('code', {}, m.queueId) },
        { label: 'We recorded', cell: (m) => [timeEl(m.failedAt), ' ', m.upstreamHost ?? '', h('div', { class: 'reply' }, m.failedResponse ?? '')] },
        { label: 'Log says', cell: (m) => h('span', { class: 'reply' }, `${m.evidence.file.split('/').pop()}:${m.evidence.line} ${m.evidence.text}`) },
        { label: 'Flag cleared', cell: (m) => (m.flagCleared ? 'yes' : '') },
      ], rows: r.matches ?? [],
    }),
    dataTable({
      caption: 'Failures the log said nothing about', empty: 'None.', columns: [
        { label: 'Recipient', cell: rcpt }, { label: 'Queue id', cell: (m) => h('code', {}, m.queueId) },
        { label: 'Status', cell: (m) => m.status }, { label: 'Host', cell: (m) => m.upstreamHost ?? '—' },
        { label: 'Reply', cell: (m) => h('span', { class: 'reply' }, m.response ?? '') },
      ], rows: r.unmatchedFailures ?? [],
    }),
  ];
}

export async function render(root) {
  const { format } = await enums();
  const out = h('div', { 'aria-live': 'polite' });
  const file = h('input', { type: 'file', name: 'log', required: true });
  const form = h('form', { class: 'upload' },
    h('label', {}, 'Delivery log file ', file),
    h('label', {}, 'Format ', h('select', { name: 'format' }, h('option', { value: '' }, 'detect'), format.map((f) => h('option', { value: f }, f)))),
    h('label', { title: 'For logs whose timestamps carry no zone; empty: the server\'s zone' }, 'Log time zone (minutes from UTC)', h('input', { type: 'number', name: 'utcOffset', min: '-840', max: '840', step: '15', placeholder: 'server zone', class: 'narrow' })),
    h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'dryRun', checked: true }), ' Dry run (show what would change, change nothing)'),
    h('button', { type: 'submit' }, 'Reconcile'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = file.files?.[0];
    if (!f) return;
    const data = new FormData(form);
    const btn = form.querySelector('button');
    btn.disabled = true;
    replace(out, note(`Uploading ${f.name} (${count(f.size)} bytes)…`));
    try {
      const r = await request('POST', 'reconcile', {
        query: { format: data.get('format'), utcOffset: data.get('utcOffset'), dryRun: data.get('dryRun') ? 'true' : '', name: f.name },
        body: f, headers: { 'content-type': 'application/octet-stream' },
      });
      replace(out, results(r));
      await fillCategories(out).catch(() => undefined);
    } catch (err) {
      replace(out, err.status === 501 ? note('Reconciliation is not enabled on this server; run `rebound reconcile FILE` on the host.') : errorBox(err, 'Reconciliation failed'));
    } finally {
      btn.disabled = false;
    }
  });
  replace(root, h('h1', { tabindex: '-1' }, 'Reconciliation'),
    note('Upload the upstream\'s delivery log. A recorded failure that the log shows as delivered is a mismatch: the recipient is marked delivered and its flag cleared (unless this is a dry run).'),
    form, out);
}
