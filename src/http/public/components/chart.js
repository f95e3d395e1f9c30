// Charts drawn as SVG from the API's aggregates, no library: stacked bars (a fill pattern and an
// outline per series, not colour alone) and lines (a dash style and a marker shape per series).
// Every mark has a <title> and data-* with its numbers, and every chart comes with its table.
import { h, svg } from '../lib/dom.js';
import { count } from '../lib/format.js';
import { dataTable } from './table.js';

const WIDE = { W: 760, H: 250 };
const NARROW = { W: 440, H: 220 };
const M = { l: 44, r: 12, t: 18, b: 36 };
let seq = 0;

/** A round axis maximum and its tick step for values up to `max`. */
export function niceScale(max) {
  if (!(max > 0)) return { max: 4, step: 1 };
  const rough = max / 4;
  const mag = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((f) => f * mag).find((s) => s >= rough);
  return { max: Math.max(step, Math.ceil(max / step) * step), step: Math.max(1, step) };
}

function pattern(id, kind, colour) {
  const p = (...children) => svg('pattern', { id, width: 6, height: 6, patternUnits: 'userSpaceOnUse' },
    svg('rect', { width: 6, height: 6, fill: colour, 'fill-opacity': kind === 'solid' ? 1 : 0.18 }), ...children);
  const line = (d) => svg('path', { d, stroke: colour, 'stroke-width': 1.6 });
  switch (kind) {
    case 'diagonal': return p(line('M-1 7L7 -1M5 7L7 5M-1 1L1 -1'));
    case 'dots': return p(svg('circle', { cx: 3, cy: 3, r: 1.5, fill: colour }));
    case 'cross': return p(line('M0 0L6 6M6 0L0 6'));
    case 'horizontal': return p(line('M0 3H6'));
    case 'vertical': return p(line('M3 0V6'));
    default: return p();
  }
}

function axes({ W, H }, scale, labels, band) {
  const y = (v) => M.t + (H - M.t - M.b) * (1 - v / scale.max);
  const ticks = [];
  for (let v = 0; v <= scale.max; v += scale.step) {
    ticks.push(svg('line', { x1: M.l, x2: W - M.r, y1: y(v), y2: y(v), class: 'grid' }),
      svg('text', { x: M.l - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'tick' }, count(v)));
  }
  const every = Math.max(1, Math.ceil(labels.length / (W > 500 ? 12 : 6)));
  const xs = labels.map((l, i) => (i % every === 0
    ? svg('text', { x: M.l + band * (i + 0.5), y: H - M.b + 16, 'text-anchor': 'middle', class: 'tick' }, l)
    : null));
  return { y, nodes: [...ticks, ...xs, svg('line', { x1: M.l, x2: W - M.r, y1: y(0), y2: y(0), class: 'axis' })] };
}

function figure({ title, id, chart, legend, table }) {
  return h('figure', { class: 'chart', id },
    h('figcaption', {}, title), chart, legend,
    h('details', { class: 'chart-table' }, h('summary', {}, `Table: ${title}`), table));
}

function tableOf(title, rows, keys, labelOf) {
  return dataTable({
    caption: title,
    columns: [
      { label: 'Time', cell: (r) => r.label, class: 'nowrap' },
      ...keys.map((k) => ({ label: labelOf(k), cell: (r) => h('span', { dataset: { key: k } }, count(r.values[k] ?? 0)) })),
    ],
    rows,
    rowClass: () => 'chart-row',
  });
}

/**
 * rows: [{ start, label, values: { key: n } }]; keys: series in stacking order (bottom first);
 * style(key) => { colour, pattern }; labelOf(key) => text.
 */
export function stackedBars({ title, id, rows, keys, style, labelOf = (k) => k, legend }) {
  const { W, H } = WIDE;
  const prefix = `chart${++seq}`;
  const totals = rows.map((r) => keys.reduce((a, k) => a + (r.values[k] ?? 0), 0));
  const scale = niceScale(Math.max(0, ...totals));
  const band = (W - M.l - M.r) / Math.max(1, rows.length);
  const { y, nodes } = axes(WIDE, scale, rows.map((r) => r.label), band);
  const defs = svg('defs', {}, keys.map((k) => pattern(`${prefix}-${k.replace(/\W/g, '')}`, style(k).pattern, style(k).colour)));
  const bars = rows.map((r, i) => {
    let acc = 0;
    const x = M.l + band * i + band * 0.15;
    const segs = keys.map((k) => {
      const v = r.values[k] ?? 0;
      if (!v) return null;
      const top = y(acc + v);
      const seg = svg('rect', {
        x, width: band * 0.7, y: top, height: y(acc) - top, fill: `url(#${prefix}-${k.replace(/\W/g, '')})`, stroke: style(k).colour, 'stroke-width': 1,
        class: 'seg', dataset: { key: k, start: r.start, value: v },
      }, svg('title', {}, `${r.label}: ${labelOf(k)} ${count(v)}`));
      acc += v;
      return seg;
    });
    const total = totals[i] && band >= 14
      ? svg('text', { x: x + band * 0.35, y: y(totals[i]) - 4, 'text-anchor': 'middle', class: 'bar-total', dataset: { start: r.start, value: totals[i] } }, count(totals[i]))
      : null;
    return svg('g', { class: 'bar', dataset: { start: r.start, total: totals[i] } }, segs, total);
  });
  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart-svg', role: 'img', 'aria-label': `${title}; the numbers are in the table below` }, defs, nodes, bars);
  return figure({ title, id, chart, legend, table: tableOf(title, rows, keys, labelOf) });
}

const MARKERS = {
  circle: (x, y) => svg('circle', { cx: x, cy: y, r: 3.5 }),
  square: (x, y) => svg('rect', { x: x - 3.5, y: y - 3.5, width: 7, height: 7 }),
  triangle: (x, y) => svg('path', { d: `M${x} ${y - 4.5}L${x + 4.5} ${y + 3.5}L${x - 4.5} ${y + 3.5}Z` }),
  diamond: (x, y) => svg('path', { d: `M${x} ${y - 4.5}L${x + 4.5} ${y}L${x} ${y + 4.5}L${x - 4.5} ${y}Z` }),
};

/** series: [{ key, label, colour, dash, marker: circle|square|triangle|diamond }]; narrow: for half a row. */
export function lineChart({ title, id, rows, series, narrow = false }) {
  const dims = narrow ? NARROW : WIDE;
  const { W, H } = dims;
  const scale = niceScale(Math.max(0, ...rows.flatMap((r) => series.map((s) => r.values[s.key] ?? 0))));
  const band = (W - M.l - M.r) / Math.max(1, rows.length);
  const { y, nodes } = axes(dims, scale, rows.map((r) => r.label), band);
  const lines = series.map((s) => {
    const pts = rows.map((r, i) => [M.l + band * (i + 0.5), y(r.values[s.key] ?? 0)]);
    return svg('g', { class: 'series', stroke: s.colour, fill: s.colour, dataset: { series: s.key } },
      svg('polyline', { points: pts.map((p) => p.join(',')).join(' '), fill: 'none', 'stroke-width': 2, 'stroke-dasharray': s.dash || null }),
      rows.map((r, i) => {
        const mark = (MARKERS[s.marker] ?? MARKERS.circle)(pts[i][0], pts[i][1]);
        mark.setAttribute('class', 'mark');
        mark.dataset.start = r.start;
        mark.dataset.value = r.values[s.key] ?? 0;
        mark.append(svg('title', {}, `${r.label}: ${s.label} ${count(r.values[s.key] ?? 0)}`));
        return mark;
      }));
  });
  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart-svg', role: 'img', 'aria-label': `${title}; the numbers are in the table below` }, nodes, lines);
  const legend = h('ul', { class: 'legend', 'aria-label': 'Series' }, series.map((s) => h('li', {},
    svg('svg', { viewBox: '0 0 30 10', width: 30, height: 10, 'aria-hidden': 'true' },
      svg('line', { x1: 0, x2: 30, y1: 5, y2: 5, stroke: s.colour, 'stroke-width': 2, 'stroke-dasharray': s.dash || null }),
      (() => { const m = (MARKERS[s.marker] ?? MARKERS.circle)(15, 5); m.setAttribute('fill', s.colour); return m; })()),
    ' ', s.label)));
  return figure({ title, id, chart, legend, table: tableOf(title, rows, series.map((s) => s.key), (k) => series.find((s) => s.key === k).label) });
}

/** A horizontal gauge of a rate against reference lines (the providers' complaint limits). */
export function rateGauge({ rate, lines, label }) {
  const GW = 420;
  const top = Math.max(lines[lines.length - 1] * 1.5, rate ?? 0);
  const x = (v) => 10 + (GW - 20) * Math.min(1, v / top);
  const over = rate !== null && rate >= lines[lines.length - 1] ? 'bad' : rate !== null && rate >= lines[0] ? 'warn' : 'ok';
  return svg('svg', { viewBox: `0 0 ${GW} 54`, class: `gauge gauge-${over}`, role: 'img', 'aria-label': label },
    svg('rect', { x: 10, y: 14, width: GW - 20, height: 14, class: 'gauge-track' }),
    rate === null ? null : svg('rect', { x: 10, y: 14, width: Math.max(1, x(rate) - 10), height: 14, class: 'gauge-fill', dataset: { value: rate } }),
    lines.map((l) => [
      svg('line', { x1: x(l), x2: x(l), y1: 8, y2: 34, class: 'gauge-line' }),
      svg('text', { x: x(l), y: 48, 'text-anchor': 'middle', class: 'tick' }, `${(l * 100).toFixed(1)} %`),
    ]));
}

/** A small square in a series' fill pattern, for legends. */
export function patternSwatch(style) {
  const id = `swatch${++seq}`;
  return svg('svg', { viewBox: '0 0 14 14', width: 14, height: 14, class: 'swatch', 'aria-hidden': 'true' },
    svg('defs', {}, pattern(id, style.pattern, style.colour)),
    svg('rect', { x: 0.5, y: 0.5, width: 13, height: 13, fill: `url(#${id})`, stroke: style.colour }));
}
