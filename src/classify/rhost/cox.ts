import type { Reason } from '../types.js';
import type { ProviderRule } from './rule.js';

/**
 * Cox ends refusals with "AUP#CODE" and documents each code on its e-mail error codes page:
 * blocks of the sending IP (CXBL, CDRBL, CXDNS, IPBLnnnn), suspicious account activity (CXTHRT,
 * CXMJ), sender problems (CXSNDR, CXSMTP), connection and volume limits (CXCNCT, CXMXRT), and
 * URLs on blocklists (URLBLnnn).
 */
const CODES: Record<string, Reason> = {
  CXBL: 'blocked', CDRBL: 'blocked', CXDNS: 'blocked', CXTHRT: 'securityerror', CXMJ: 'securityerror',
  CXSNDR: 'rejected', CXSMTP: 'rejected', CXCNCT: 'toomanyconn', CXMXRT: 'toomanyconn',
};

export const cox: ProviderRule = {
  name: 'Cox',
  reason(text) {
    const code = /\baup#([a-z0-9]{2,12})\b/.exec(text)?.[1]?.toUpperCase();
    if (!code) return undefined;
    if (CODES[code]) return CODES[code];
    if (/^IPBL\d{4,5}$/.test(code)) return 'blocked';
    if (/^URLBL\d{3,4}$/.test(code)) return 'spamdetected';
    return undefined;
  },
};
