import type { Reason } from '../types.js';
import type { ProviderRule } from './rule.js';

/**
 * Spectrum (Charter) ends refusals with "AUP#In-1310"-style references; its "understanding email
 * error codes" page gives each four-digit code (or range) a cause.
 */
const RANGES: ReadonlyArray<[number, number, Reason]> = [
  [1000, 1000, 'blocked'], // IP blocked for suspicious activity
  [1010, 1080, 'rejected'], // the sending account is blocked or limited
  [1090, 1090, 'systemerror'],
  [1100, 1150, 'blocked'], // DNS problems of the connecting IP
  [1160, 1190, 'policyviolation'], // against the domain's security policies
  [1200, 1250, 'blocked'], // listed by Cloudmark CSI / Spamhaus
  [1260, 1260, 'networkerror'], // IPv6 not accepted
  [1300, 1490, 'toomanyconn'], // concurrent connections, messages or recipients per period
  [1500, 1520, 'rejected'], // sending as another address or domain
  [1530, 1530, 'mesgtoobig'],
  [1540, 1550, 'toomanyconn'], // too many messages per session / recipients per message
  [1560, 1560, 'policyviolation'], // too many invalid recipients
];

export const spectrum: ProviderRule = {
  name: 'Spectrum',
  reason(text) {
    const m = /\baup#[a-z-]{0,8}(\d{4})\b/.exec(text);
    if (!m) return undefined;
    const n = Number(m[1]);
    return RANGES.find(([lo, hi]) => n >= lo && n <= hi)?.[2];
  },
};
