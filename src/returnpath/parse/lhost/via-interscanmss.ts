import type { Dialect } from './dialect.js';
import { textIncludes } from './dialect.js';

/** Trend Micro InterScan Messaging Security Suite. */
export const interscanmss: Dialect = {
  name: 'InterScanMSS',
  detect: (m) => /interscan/i.test(m.headers['from'] ?? '') || textIncludes(m, ['message from interscan messaging security suite']),
  parse: (m) => {
    const out = [];
    for (const hit of m.text.slice(0, 16384).matchAll(/unable to deliver message to <([^>\s]{3,254})>(.{0,300})/gi)) {
      const diagnostic = hit[0]!;
      // "Please check if address is correct": the recipient address is the problem.
      const d = { rcpt: hit[1]!.toLowerCase(), diagnostic, ...(/address is correct/i.test(diagnostic) ? { reason: 'userunknown' as const } : {}) };
      out.push(d);
    }
    return out;
  },
};
