// A data table from column definitions: header cells with scope, a caption, and an empty row.
import { h } from '../lib/dom.js';

/**
 * columns: [{ label, cell: (row) => node|string, class? }]; rows: array.
 * Returns a scrollable wrapper holding the table.
 */
export function dataTable({ caption, columns, rows, empty = 'Nothing to show.', rowClass }) {
  const head = h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.class }, c.label))));
  const body = h('tbody', {},
    rows.length === 0
      ? h('tr', {}, h('td', { colspan: columns.length, class: 'empty' }, empty))
      : rows.map((r) => h('tr', { class: rowClass ? rowClass(r) : null }, columns.map((c) => h('td', { class: c.class }, c.cell(r))))));
  return h('div', { class: 'table-wrap' }, h('table', {}, caption ? h('caption', {}, caption) : null, head, body));
}
