import type { Dialect } from './dialect.js';
import { headerHas, textIncludes } from './dialect.js';

/** Exim's "Mail delivery failed: returning message to sender". */
export const exim: Dialect = {
  name: 'Exim',
  detect: (m) =>
    headerHas(m, 'x-failed-recipients', /@/) && !/google|yahoo|mail\.ru|gmx/i.test(m.from) ||
    textIncludes(m, ['this message was created automatically by mail delivery software', 'a message that you sent could not be delivered to all of its', 'a message that you sent could not be delivered to one or more of its']) ||
    /^(mail delivery failed|warning: message .* delayed)/i.test(m.subject.trim()) && /mailer-daemon|mail delivery/i.test(m.headers['from'] ?? ''),
};
