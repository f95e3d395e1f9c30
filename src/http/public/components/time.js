// A <time> element: local date and time, the age on hover.
import { h } from '../lib/dom.js';
import { dateTime, relative } from '../lib/format.js';

export function timeEl(ms) {
  if (ms === null || ms === undefined) return '—';
  return h('time', { datetime: new Date(ms).toISOString(), title: relative(ms) }, dateTime(ms));
}
