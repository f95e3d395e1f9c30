import type { Dialect } from './dialect.js';
import { textIncludes } from './dialect.js';

/** MailFoundry appliance. */
export const mailfoundry: Dialect = {
  name: 'MailFoundry',
  detect: (m) => /^message delivery has failed/i.test(m.subject) && textIncludes(m, ['delivery failed for the following reason:']),
};
