import type { Draft } from '../types.js';
import type { Dialect } from './dialect.js';
import { headerHas } from './dialect.js';

/** Zoho Mail. */
export const zoho: Dialect = {
  name: 'Zoho',
  detect: (m) => /mailer-daemon@(?:[a-z0-9-]+\.)*zoho\.(?:com|eu|in)$/i.test(m.from) || headerHas(m, 'x-zohomail', /./) && /mailer-daemon/i.test(m.from),
  parse: (m) => {
    // "rcpt Error, ERROR_CODE :550, ERROR_CODE :5.1.1, reason text"
    const out: Draft[] = [];
    for (const hit of m.text.slice(0, 16384).matchAll(/^[ \t]*([^\s@]{1,128}@[^\s,]{1,255})[ \t]+error,[ \t]*(.{0,800})$/gim)) {
      const diagnostic = hit[2]!.replace(/error_code\s*:\s*,?/gi, ' ').trim();
      const code = /error_code\s*:\s*([245]\d\d)\b/i.exec(hit[2]!)?.[1];
      out.push({ rcpt: hit[1]!.toLowerCase(), diagnostic: code ? `${code} ${diagnostic}` : diagnostic, ...(code ? { replycode: code } : {}) });
    }
    return out;
  },
};
