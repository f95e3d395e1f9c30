import type { Dialect } from './dialect.js';
import { headerHas } from './dialect.js';

/** Ipswitch IMail Server. */
export const imailserver: Dialect = {
  name: 'IMailServer',
  detect: (m) => headerHas(m, 'x-mailer', /<smtp32 v/i) || /^undeliverable mail\s*$/i.test(m.subject) && /^body of message generated response:/im.test(m.text),
};
