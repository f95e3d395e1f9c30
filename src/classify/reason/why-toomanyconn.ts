import { defineRule } from './rule.js';

/** Too many connections or sessions from the sender at once. */
export const toomanyconn = defineRule('toomanyconn', [
  'too many connections', 'connection rate limit', 'too many concurrent', 'connection limit', 'too many sessions', 'too many smtp sessions',
  'maximum number of connections', 'too many simultaneous', 'concurrent connections', 'connections from your',
  'too many recipients', 'too many errors', 'too many invalid', 'connection count', 'connections exceeded',
  'too many open connections', 'threshold', 'frequency limited', 'exceeded the number of',
]);
