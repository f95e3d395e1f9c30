import type { Dialect } from './dialect.js';
import { textIncludes } from './dialect.js';

/** Oracle (Sun, iPlanet) Communications Messaging Server and PMDF. */
export const messagingserver: Dialect = {
  name: 'MessagingServer',
  detect: (m) =>
    /boundary_\(id_/i.test(m.contentType) || /^delivery notification: /i.test(m.subject) ||
    textIncludes(m, ['this report relates to a message you sent with the following header fields']),
};
