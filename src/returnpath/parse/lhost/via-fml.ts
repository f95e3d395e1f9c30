import type { Dialect } from './dialect.js';
import { headerHas } from './dialect.js';

/** fml mailing-list manager error notices. */
export const fml: Dialect = {
  name: 'FML',
  detect: (m) => headerHas(m, 'x-mlserver', /fml/i) && /error|alert|loop|not delivered|rejected/i.test(m.subject),
  parse: (m) => {
    const rcpt = /<([^>\s]{3,254}@[^>\s]{1,254})>/.exec(m.text.slice(0, 4096))?.[1] ?? m.from;
    const first = m.text.split('\n').find((l) => l.trim()) ?? '';
    const diagnostic = `${m.subject} ${first}`.trim();
    return rcpt ? [{ rcpt: rcpt.toLowerCase(), diagnostic }] : [];
  },
};
