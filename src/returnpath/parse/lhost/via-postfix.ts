import type { Dialect } from './dialect.js';
import { headerHas, textHas, textIncludes } from './dialect.js';

/** Postfix bounce(8) notices: "Undelivered Mail Returned to Sender", "This is the mail system at host". */
export const postfix: Dialect = {
  name: 'Postfix',
  detect: (m) =>
    /^(undelivered mail returned to sender|delayed mail \(still being retried\)|mail delivery status report|successful mail delivery report)/i.test(m.subject.trim()) ||
    textIncludes(m, ['this is the mail system at host', 'this is the postfix program at host']) ||
    textIncludes(m, ['x-postfix-queue-id:']) && textHas(m, /^x-postfix-queue-id:/im, 16384) ||
    headerHas(m, 'x-postfix-queue-id', /./),
};
