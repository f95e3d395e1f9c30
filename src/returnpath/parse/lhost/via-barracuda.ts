import type { Dialect } from './dialect.js';
import { textHas } from './dialect.js';

/** Barracuda Spam & Virus Firewall rejections. */
export const barracuda: Dialect = {
  name: 'Barracuda',
  detect: (m) => /message you sent blocked by our bulk email filter/i.test(m.subject) || textHas(m, /blocked by our spam (&|and) virus firewall/i),
  adjust: (d) => (d.reason || !/spam|\bube\b|bulk/i.test(d.diagnostic ?? '') ? d : { ...d, reason: 'spamdetected' }),
};
