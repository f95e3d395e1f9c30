import type { ProviderRule } from './rule.js';

/**
 * Exchange Online / Outlook.com NDR codes (Microsoft's "NDRs in Exchange Online" reference) and
 * Exchange's older X.400-style texts. Their 5.7.6xx-7xx codes and RESOLVER names are more precise
 * than the RFC 3463 class they borrow: 5.1.10 is "recipient not found" there, not a null MX.
 */
export const microsoft: ProviderRule = {
  name: 'Microsoft',
  reason(text, status) {
    if (/^5\.7\.6[0-4]\d$/.test(status) || /banned sending ip/.test(text)) return 'blocked'; // 5.7.606-649
    if (status === '5.7.708' || text.includes('traffic not accepted from this ip')) return 'blocked';
    if (/\(s3140\)|\(s3150\)|\(s3115\)/.test(text)) return 'blocked'; // Outlook.com block-list references
    if (text.includes('resolver.adr.recipientnotfound') || text.includes('resolver.adr.recipnotfound')) return 'userunknown';
    if (text.includes('resolver.adr.exrecipnotfound') || text.includes('the recipient name is not recognized')) return 'userunknown';
    if (text.includes('resolver.adr.mailboxfull') || text.includes('resolver.rst.mailboxfull')) return 'mailboxfull';
    if (text.includes('resolver.rst.notauthorized') || text.includes('resolver.rst.authrequired')) return 'securityerror';
    if (text.includes('resolver.rst.recipsizelimit')) return 'mesgtoobig';
    return undefined;
  },
};
