import type { Dialect } from './dialect.js';
import { textIncludes } from './dialect.js';

/** OpenSMTPD: "This is the MAILER-DAEMON, please DO NOT REPLY to this e-mail." */
export const opensmtpd: Dialect = {
  name: 'OpenSMTPD',
  detect: (m) => textIncludes(m, ['this is the mailer-daemon, please do not reply to this e-mail', 'this is the mailer-daemon, please do not reply to this email']) || /^delivery status notification: (error|warning|delayed|failed)/i.test(m.subject),
  adjust: (d, m) => (/^delivery status notification: (warning|delayed)/i.test(m.subject) ? { ...d, temporary: true, delayed: true } : d),
};
