import type { Dialect } from './dialect.js';

/** GMX / mail.com. */
export const gmx: Dialect = {
  name: 'GMX',
  detect: (m) => /mailer-daemon@(?:[a-z0-9-]+\.)*(gmx\.(?:net|de|com|at|ch)|mail\.com)$/i.test(m.from),
};
