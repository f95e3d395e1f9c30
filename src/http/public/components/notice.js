// Status messages: loading, errors (with the API's own message) and plain notes.
import { h } from '../lib/dom.js';

export const loading = (what = 'Loading…') => h('p', { class: 'notice loading', role: 'status' }, what);

export function errorBox(err, context) {
  const status = err && err.status ? ` (${err.status}${err.code ? ` ${err.code}` : ''})` : '';
  return h('div', { class: 'notice error', role: 'alert' },
    h('strong', {}, context ? `${context}: ` : 'Error: '), err && err.message ? err.message : String(err), status);
}

export const note = (...children) => h('p', { class: 'notice' }, ...children);
