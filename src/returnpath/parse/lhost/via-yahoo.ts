import type { Dialect } from './dialect.js';
import { textHas } from './dialect.js';

/** Yahoo! Mail "Failure Notice". */
export const yahoo: Dialect = {
  name: 'Yahoo',
  detect: (m) =>
    /mailer-daemon@yahoo(?:inc)?\.[a-z.]+$/i.test(m.from) || textHas(m, /sorry, we were unable to deliver your message to the following address/i),
};
