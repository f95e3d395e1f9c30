import { defineRule } from './rule.js';

/** The destination host or domain accepts no mail at all (null MX, RFC 7505). */
export const notaccept = defineRule('notaccept', [
  'does not accept mail', 'an mx or srv record indicated no smtp service', 'no host found for existing smtp connection',
  'destination seem to reject all mails', 'host does not accept mail', 'domain does not accept mail', 'null mx',
  'not accepting mail', 'accepts no mail', 'does not receive mail', 'mx points to localhost',
  'domain does not receive', 'no mail is accepted',
]);
