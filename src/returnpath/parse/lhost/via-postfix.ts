import type { Dialect } from './dialect.js';
import { headerHas, textHas } from './dialect.js';

/** Postfix bounce(8) notices: "Undelivered Mail Returned to Sender", "This is the mail system at host". */
export const postfix: Dialect = {
  name: 'Postfix',
  detect: (m) =>
    /^(undelivered mail returned to sender|delayed mail \(still being retried\)|mail delivery status report|successful mail delivery report)/i.test(m.subject.trim()) ||
    textHas(m, /this is the (mail system|postfix program) at host|^x-postfix-queue-id:/im) ||
    headerHas(m, 'x-postfix-queue-id', /./),
};
