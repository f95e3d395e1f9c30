import type { Dialect } from './dialect.js';

/** Bigfoot forwarding service (a Sendmail derivative). */
export const bigfoot: Dialect = {
  name: 'Bigfoot',
  detect: (m) => /@bigfoot\.com$/i.test(m.from) || /bigfoot\.com/i.test(m.headers['received'] ?? '') && /mailer-daemon/i.test(m.from),
};
