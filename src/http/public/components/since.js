// A "how far back" picker that lives in the URL query (?since=24h), shared by the insight views.
import { h } from '../lib/dom.js';
import { go, href } from '../lib/router.js';

export function sincePicker(route, { name = 'since', label = 'Since', options, extra = {} }) {
  const value = route.query.get(name) ?? options[0][0];
  const sel = h('select', { name }, options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)));
  sel.addEventListener('change', () => go(href(route.name, route.params, { ...extra, [name]: sel.value })));
  return { value, el: h('form', { class: 'filters', 'aria-label': 'Time range', onsubmit: (e) => e.preventDefault() }, h('label', {}, label, sel)) };
}

export const AGES = [['24h', 'last 24 hours'], ['1h', 'last hour'], ['7d', 'last 7 days'], ['30d', 'last 30 days']];
