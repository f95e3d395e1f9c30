import type { Dialect } from './dialect.js';
import { textIncludes } from './dialect.js';

/** Yahoo! Mail "Failure Notice". */
export const yahoo: Dialect = {
  name: 'Yahoo',
  detect: (m) =>
    /mailer-daemon@yahoo(?:inc)?\.[a-z.]+$/i.test(m.from) || textIncludes(m, ['sorry, we were unable to deliver your message to the following address']),
};
