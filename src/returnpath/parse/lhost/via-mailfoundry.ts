import type { Dialect } from './dialect.js';
import { textHas } from './dialect.js';

/** MailFoundry appliance. */
export const mailfoundry: Dialect = {
  name: 'MailFoundry',
  detect: (m) => /^message delivery has failed/i.test(m.subject) && textHas(m, /delivery failed for the following reason:/i),
};
