// Pieces every filtered list shares: a labelled select, the count with its CSV download, the pager.
import { h } from '../lib/dom.js';
import { count, plural } from '../lib/format.js';
import { csvButton } from './csv.js';

/** options: [[value, text]]. */
export function selectField(name, label, options, value) {
  return h('label', {}, label, h('select', { name }, options.map(([v, text]) => h('option', { value: v, selected: v === value }, text))));
}

/** "12 recipients match." and a CSV download of the same filtered list. */
export function listBar(total, word, path, filters) {
  return h('div', { class: 'list-bar' }, h('p', { class: 'summary', role: 'status' }, plural(total, word), ' match.'), csvButton(path, filters, path));
}

/** at(offset) => href; labels: [previous, next]. */
export function pager(total, offset, page, at, [prev, next] = ['← Previous', 'Next →']) {
  const last = Math.min(offset + page, total);
  return h('nav', { class: 'pager', 'aria-label': 'Pages' },
    h('span', {}, total ? `${count(offset + 1)}–${count(last)} of ${count(total)}` : ''),
    offset > 0 ? h('a', { href: at(Math.max(0, offset - page)), rel: 'prev' }, prev) : null,
    last < total ? h('a', { href: at(offset + page), rel: 'next' }, next) : null);
}
