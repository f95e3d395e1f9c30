import type { Dialect } from './dialect.js';
import { headerHas, textIncludes } from './dialect.js';

/** Exim's "Mail delivery failed: returning message to sender". */
export const exim: Dialect = {
  name: 'Exim',
  detect: (m) =>
    headerHas(m, 'x-failed-recipients', /@/) && !/google|yahoo|mail\.ru|gmx/i.test(m.from) ||
    textIncludes(m, ['this message was created automatically by mail delivery software', 'a message that you sent could not be delivered to all of its', 'a message that you sent could not be delivered to one or more of its']) ||
    /^(mail delivery failed|warning: message .* delayed)/i.test(m.subject.trim()) && /mailer-daemon|mail delivery/i.test(m.headers['from'] ?? ''),
  // Exim's delay warning ("Warning: message ... delayed 24 hours", "has not yet been delivered
  // to one or more of its recipients after more than ... on the queue") is not a failure yet.
  adjust: (d, m) =>
    /^warning: message .{1,80} delayed/i.test(m.subject.trim()) || textIncludes(m, ['has not yet been delivered to one or more of its recipients'])
      ? { ...d, temporary: true, delayed: true }
      : d,
};
