import type { Dialect } from './dialect.js';
import { textHas } from './dialect.js';
import { addressesIn } from '../headers.js';

/** Lotus (HCL) Notes / Domino: "------- Failure Reasons --------". */
export const notes: Dialect = {
  name: 'Notes',
  detect: (m) => textHas(m, /^-{3,}\s*failure reasons\s*-{3,}/im),
  parse: (m) => {
    const body = m.text.split(/^-{3,}\s*returned message\s*-{3,}/im)[0] ?? '';
    const reasons = body.replace(/^[\s\S]*?-{3,}\s*failure reasons\s*-{3,}/im, '');
    const rcpts = addressesIn(reasons);
    const diagnostic = reasons.split('\n').filter((l) => l.trim() && !l.includes('@')).join(' ').trim();
    return rcpts.map((rcpt) => ({ rcpt, diagnostic }));
  },
};
