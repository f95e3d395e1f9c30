// Overview, the landing page: what went out, what failed and in which category, complaints
// against the providers' lines, flags, the worst domains and hosts, integration errors; per hour
// or day. Drawn from GET /api/stats/overview; every chart has its table.
import { get } from '../lib/api.js';
import { learn } from '../lib/categories.js';
import { styleOf } from '../lib/category-style.js';
import { h, replace } from '../lib/dom.js';
import { count } from '../lib/format.js';
import { go, href } from '../lib/router.js';
import { categoryIcon, categoryLegend } from '../components/category.js';
import { lineChart, patternSwatch, rateGauge, stackedBars } from '../components/chart.js';
import { errorBox, loading, note } from '../components/notice.js';
import { dataTable } from '../components/table.js';

const RANGES = [['24h', 'last 24 hours', 'hour'], ['48h', 'last 48 hours', 'hour'], ['7d', 'last 7 days', 'day'], ['30d', 'last 30 days', 'day'], ['90d', 'last 90 days', 'day']];
const pad = (n) => String(n).padStart(2, '0');

function bucketLabel(ms, bucket) {
  const d = new Date(ms);
  return bucket === 'hour' ? `${pad(d.getHours())}:00` : `${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

function controls(range, bucket) {
  const pick = (name, label, options, value) => {
    const sel = h('select', { name }, options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)));
    return h('label', {}, label, sel);
  };
  const form = h('form', { class: 'filters', 'aria-label': 'Time range' },
    pick('range', 'Range', RANGES.map(([v, t]) => [v, t]), range),
    pick('bucket', 'Per', [['hour', 'hour'], ['day', 'day']], bucket));
  form.addEventListener('change', (e) => {
    const data = new FormData(form);
    const r = String(data.get('range'));
    // A new range brings its natural bucket; a new bucket keeps the range.
    const b = e.target.name === 'range' ? RANGES.find((x) => x[0] === r)[2] : String(data.get('bucket'));
    go(href('overview', [], { range: r, bucket: b }));
  });
  form.addEventListener('submit', (e) => e.preventDefault());
  return form;
}

function tiles(t, rate) {
  const tile = (key, label, n, extra) => h('li', { dataset: { stat: key } }, h('span', { class: 'stat-n' }, count(n)), h('span', { class: 'stat-label' }, label), extra ? h('span', { class: 'stat-extra' }, extra) : null);
  return h('ul', { class: 'stats overview-stats', 'aria-label': 'Totals' },
    tile('accepted', 'messages accepted', t.accepted),
    tile('delivered', 'deliveries', t.delivered),
    tile('deferred', 'deferrals (retried)', t.deferred),
    tile('bounced', 'bounces', t.bounced),
    tile('complaints', 'spam complaints', t.complaints, rate === null ? 'no deliveries' : `${(rate * 100).toFixed(3)} % of deliveries`),
    tile('flagged', 'flags raised', t.flagged, `${count(t.cleared)} cleared`),
    tile('integrationErrors', 'integration errors', t.integrationErrors));
}

function complaints(o) {
  const [low, high] = o.complaintLines;
  const rate = o.complaintRate;
  const verdict = rate === null ? 'Nothing delivered in this range.'
    : rate >= high ? `Above ${(high * 100).toFixed(1)} %: providers reject or spam-folder mail at this rate. Find the source now.`
      : rate >= low ? `Above ${(low * 100).toFixed(1)} %: providers' guidance is to stay under it. Review how these recipients were added.`
        : `Under ${(low * 100).toFixed(1)} %: within the providers' guidance.`;
  return h('section', { class: 'panel complaint-panel', 'aria-labelledby': 'complaints-h' },
    h('h2', { id: 'complaints-h' }, 'Complaint rate'),
    h('p', { class: 'complaint-rate' }, h('strong', {}, rate === null ? '—' : `${(rate * 100).toFixed(3)} %`), ` (${count(o.totals.complaints)} complaints / ${count(o.totals.delivered)} deliveries)`),
    rateGauge({ rate, lines: o.complaintLines, label: `complaint rate ${rate === null ? 'unknown' : `${(rate * 100).toFixed(3)} %`} against the ${(low * 100).toFixed(1)} % and ${(high * 100).toFixed(1)} % lines` }),
    h('p', {}, verdict),
    h('p', {}, h('a', { href: href('activity', [], { category: 'Spam' }) }, 'Messages with complaints')));
}

function topTable(caption, rows, label, key, link) {
  const max = Math.max(1, ...rows.map((r) => r.failures));
  return dataTable({
    caption, empty: 'No failures in this range.', rows,
    columns: [
      { label, cell: (r) => (link ? h('a', { href: link(r) }, r[key]) : r[key]) },
      { label: 'Failures', cell: (r) => h('span', { class: 'hbar-cell' }, h('span', { class: 'hbar', dataset: { w: Math.round((r.failures / max) * 100) } }), count(r.failures)) },
    ],
  });
}

/** The horizontal bars' widths, set through the CSSOM (the CSP allows no inline style attributes). */
function sizeBars(root) {
  for (const b of root.querySelectorAll('.hbar')) b.style.width = `${b.dataset.w}%`;
}

export async function render(root, route) {
  const range = RANGES.some((r) => r[0] === route.query.get('range')) ? route.query.get('range') : '24h';
  const bucket = route.query.get('bucket') === 'day' || route.query.get('bucket') === 'hour' ? route.query.get('bucket') : RANGES.find((r) => r[0] === range)[2];
  const body = h('div', {}, loading('Counting…'));
  replace(root, h('h1', { tabindex: '-1' }, 'Overview'), controls(range, bucket), body);
  let o;
  try {
    [o] = await Promise.all([get('stats/overview', { since: range, bucket, utcOffset: -new Date().getTimezoneOffset() }), learn()]);
  } catch (err) {
    replace(body, errorBox(err, 'Could not load the overview'));
    return;
  }
  const per = bucket === 'hour' ? 'per hour' : 'per day';
  const rows = (pick) => o.series.map((b) => ({ start: b.start, label: bucketLabel(b.start, bucket), values: pick(b) }));
  const cats = o.categories;
  replace(body,
    tiles(o.totals, o.complaintRate),
    stackedBars({
      title: `Failures and reports by category, ${per}`, id: 'chart-categories', keys: cats, style: styleOf,
      rows: rows((b) => b.byCategory),
      legend: categoryLegend(cats, (c) => patternSwatch(styleOf(c))),
    }),
    h('p', { class: 'muted' }, 'Each failed attempt (bounced, deferred, expired) and each verified report (bounce, complaint, auto-reply) counts once, in its category. ',
      cats.map((c) => h('a', { href: href('activity', [], { category: c }), class: 'cat-link' }, categoryIcon(c), ` ${c}`))),
    lineChart({
      title: `Messages ${per}`, id: 'chart-volume', rows: rows((b) => b),
      series: [
        { key: 'accepted', label: 'accepted', colour: '#1d2327', marker: 'circle' },
        { key: 'delivered', label: 'delivered', colour: '#176c2e', marker: 'square', dash: '6 3' },
        { key: 'deferred', label: 'deferred', colour: '#8a5300', marker: 'triangle', dash: '2 3' },
        { key: 'bounced', label: 'bounced', colour: '#b3261e', marker: 'diamond', dash: '10 3 2 3' },
      ],
    }),
    h('div', { class: 'panels' },
      complaints(o),
      lineChart({
        title: `Flags raised and cleared ${per}`, id: 'chart-flags', rows: rows((b) => b), narrow: true,
        series: [
          { key: 'flagged', label: 'flags raised', colour: '#b3261e', marker: 'triangle' },
          { key: 'cleared', label: 'flags cleared', colour: '#176c2e', marker: 'circle', dash: '6 3' },
        ],
      })),
    h('div', { class: 'panels' },
      topTable('Top failing recipient domains', o.topDomains, 'Domain', 'domain', (r) => href('recipients', [], { q: `@${r.domain}` })),
      topTable('Top failing upstream hosts', o.topHosts, 'Host', 'host', null),
      h('div', {},
        dataTable({
          caption: 'Integration errors by cause', empty: 'None: connections, TLS and AUTH to the upstream work.', rows: o.integrationCauses,
          columns: [{ label: 'Cause', cell: (r) => h('code', {}, r.cause) }, { label: 'Errors', cell: (r) => count(r.count) }],
        }),
        note(h('a', { href: href('integration', [], { since: range }) }, 'Integration errors in detail')))));
  sizeBars(body);
}
