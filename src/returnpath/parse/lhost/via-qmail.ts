import type { Dialect } from './dialect.js';
import { textIncludes } from './dialect.js';

/** qmail, netqmail, indimail: "Hi. This is the qmail-send program at ...". */
export const qmail: Dialect = {
  name: 'qmail',
  detect: (m) =>
    textIncludes(m, ['this is the qmail-send program', 'i\'m afraid i wasn\'t able to deliver your message to the following addresses', 'this is the machine-generated message from the mail service']) ||
    /^failure notice/i.test(m.subject.trim()) && !/yahoo/i.test(m.from),
};
