import type { Dialect } from './dialect.js';
import { textIncludes } from './dialect.js';

/** Barracuda Spam & Virus Firewall rejections. */
export const barracuda: Dialect = {
  name: 'Barracuda',
  detect: (m) => /message you sent blocked by our bulk email filter/i.test(m.subject) || textIncludes(m, ['blocked by our spam & virus firewall', 'blocked by our spam and virus firewall']),
  adjust: (d) => (d.reason || !/spam|\bube\b|bulk/i.test(d.diagnostic ?? '') ? d : { ...d, reason: 'spamdetected' }),
};
