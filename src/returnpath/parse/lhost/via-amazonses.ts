import type { Dialect } from './dialect.js';
import { headerHas } from './dialect.js';

/** Amazon SES bounces to the sender (MAILER-DAEMON@...amazonses.com). */
export const amazonses: Dialect = {
  name: 'AmazonSES',
  detect: (m) =>
    /@([a-z0-9-]+\.)*amazonses\.com$/i.test(m.from) && !headerHas(m, 'x-mailer', /amazon workmail/i) ||
    headerHas(m, 'x-aws-outgoing', /./),
};

/** Amazon SES as the receiving side (inbound-smtp.*.amazonaws.com). */
export const receivingses: Dialect = {
  name: 'ReceivingSES',
  detect: (m) =>
    headerHas(m, 'x-ses-outgoing', /./) && !/amazonses\.com$/i.test(m.from) && !headerHas(m, 'x-mailer', /amazon workmail/i),
};

/** Amazon WorkMail. */
export const amazonworkmail: Dialect = {
  name: 'AmazonWorkMail',
  detect: (m) => headerHas(m, 'x-mailer', /amazon workmail/i),
};
