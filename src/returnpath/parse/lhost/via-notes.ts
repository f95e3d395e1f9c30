import type { Dialect } from './dialect.js';
import { textHas, textIncludes } from './dialect.js';
import { addressesIn } from '../headers.js';

/** Lotus (HCL) Notes / Domino: "------- Failure Reasons --------". */
export const notes: Dialect = {
  name: 'Notes',
  detect: (m) => textIncludes(m, ['failure reasons']) && textHas(m, /^-{3,}[ \t]*failure reasons[ \t]*-{3,}/im),
  parse: (m) => {
    const body = m.text.slice(0, 32768).split(/^-{3,}[ \t]*returned message[ \t]*-{3,}/im)[0] ?? '';
    // Everything after the "Failure Reasons" rule (indexOf, not a lazy [\s\S]*? that rescans per line).
    const rule = /^-{3,}[ \t]*failure reasons[ \t]*-{3,}/im.exec(body);
    const reasons = rule ? body.slice(rule.index + rule[0].length) : body;
    const rcpts = addressesIn(reasons);
    const diagnostic = reasons.split('\n').filter((l) => l.trim() && !l.includes('@')).join(' ').trim();
    // Domino's router answers from its directory: "not listed in" it means there is no such person.
    const reason = /not listed in (?:the )?(?:domino directory|public name & address book|public name and address book)/i.test(diagnostic) ? 'userunknown' as const : undefined;
    return rcpts.map((rcpt) => ({ rcpt, diagnostic, ...(reason ? { reason } : {}) }));
  },
};
