import type { Dialect } from './dialect.js';
import { textHas } from './dialect.js';

/** PowerMTA delivery reports (with X-PowerMTA-BounceCategory). */
export const powermta: Dialect = {
  name: 'PowerMTA',
  detect: (m) => /^delivery report/i.test(m.subject) && textHas(m, /^x-powermta-/im, 65536),
};
