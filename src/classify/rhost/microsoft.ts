import type { Reason } from '../types.js';
import type { ProviderRule } from './rule.js';

/** Exchange Online's own enhanced codes (three-digit details only Microsoft uses), by range. */
const CODES: ReadonlyArray<[string, number, number, Reason]> = [
  ['5.7.', 501, 503, 'rejected'], // banned sender, spam abuse from the sending account
  ['5.7.', 504, 505, 'suspend'], // the recipient is barred from receiving
  ['5.7.', 506, 507, 'blocked'], // bad HELO; rejected by the recipient's organisation
  ['5.7.', 508, 508, 'toomanyconn'], // exceeded permitted limits
  ['5.7.', 510, 511, 'blocked'], // no mail over IPv6; banned sender
  ['5.7.', 513, 513, 'blocked'], // the customer's own block list
  ['5.7.', 606, 649, 'blocked'], // banned sending IP
  ['5.7.', 708, 708, 'blocked'], // traffic not accepted from this IP (before the range it sits in)
  ['5.7.', 700, 749, 'toomanyconn'], // the sending tenant exceeded its threshold
  ['5.7.', 750, 750, 'rejected'], // unregistered sender domain
  ['5.7.', 124, 124, 'rejected'], ['5.7.', 133, 136, 'rejected'], // sender not allowed for the group / mailbox
  ['5.7.', 900, 999, 'policyviolation'],
  ['4.7.', 500, 699, 'blocked'], ['4.7.', 850, 899, 'blocked'], // access denied, try again later
  ['5.2.', 121, 122, 'toomanyconn'], // recipient's per-hour receive limit
  ['5.1.', 90, 90, 'toomanyconn'], // daily recipient limit
  ['5.4.', 300, 300, 'expired'], // message expired
  ['5.4.', 310, 310, 'hostunknown'], // DNS domain does not exist
  ['4.7.', 321, 321, 'failedstarttls'], ['5.7.', 321, 321, 'failedstarttls'], // destination must support TLS
];

function microsoftCode(status: string): Reason | undefined {
  const m = /^([45]\.\d\.)(\d{2,3})$/.exec(status);
  if (!m) return undefined;
  const n = Number(m[2]);
  // Two-digit details are RFC 3463 / IANA codes (5.7.23 SPF, 5.7.26 ...), not Microsoft's own.
  if (n < 90) return undefined;
  return CODES.find(([prefix, lo, hi]) => prefix === m[1] && n >= lo && n <= hi)?.[3];
}

/**
 * Exchange Online / Outlook.com NDR codes (Microsoft's "NDRs in Exchange Online" reference) and
 * Exchange's older X.400-style texts. Their 5.7.6xx-7xx codes and RESOLVER names are more precise
 * than the RFC 3463 class they borrow: 5.1.10 is "recipient not found" there, not a null MX.
 */
export const microsoft: ProviderRule = {
  name: 'Microsoft',
  reason(text, status) {
    const byCode = microsoftCode(status);
    if (byCode) return byCode;
    if (/banned sending ip/.test(text)) return 'blocked';
    if (text.includes('traffic not accepted from this ip')) return 'blocked';
    if (text.includes('content filter agent quarantined this message')) return 'spamdetected';
    if (/\(s3140\)|\(s3150\)|\(s3115\)/.test(text)) return 'blocked'; // Outlook.com block-list references
    if (text.includes('resolver.adr.recipientnotfound') || text.includes('resolver.adr.recipnotfound')) return 'userunknown';
    if (text.includes('resolver.adr.exrecipnotfound') || text.includes('the recipient name is not recognized')) return 'userunknown';
    if (text.includes('resolver.adr.mailboxfull') || text.includes('resolver.rst.mailboxfull')) return 'mailboxfull';
    if (text.includes('resolver.rst.notauthorized') || text.includes('resolver.rst.authrequired')) return 'securityerror';
    if (text.includes('resolver.rst.recipsizelimit')) return 'mesgtoobig';
    return undefined;
  },
};
