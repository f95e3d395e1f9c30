import { defineRule } from './rule.js';

/**
 * The sending host or IP is refused: a DNS blocklist, a provider's own block list, a client-host
 * restriction (Postfix "Client host rejected", Sendmail "refused to talk"), dynamic / residential
 * address ranges. The bare word "blocked" is not enough: content and policy blocks say it too.
 */
export const blocked = defineRule('blocked', [
  'blocked using', 'blocked by spamhaus', 'blocked by sorbs', 'blacklist', 'black list', 'blocklist', 'block list',
  'blocklisted', 'spamhaus', 'spamcop', 'sorbs', 'barracudacentral', 'dnsbl', ' rbl', 'rbl:', 'is listed in',
  'are listed in', 'listed at', 'listed on', 'ip address has been blocked', 'ip blocked', 'host blocked',
  'client host rejected', 'client host blocked', 'connection refused due to', 'connection rejected by policy',
  'service unavailable; client host', 'not allowed to connect', 'refused to talk', 'client not authorized',
  'dynamic ip', 'dynamic address', 'dynamically assigned', 'dial-up', 'dialup', 'residential', 'rejecting open',
  'not allowed to send from', 'not authorized to send email directly to our servers', 'weren\'t sent', 'were not sent', 'your ip address is', 'your server is blocked',
  'ip address is blocked', 'sending ip is blocked', 'access denied - invalid helo', 'bad helo', 'invalid helo',
  'helo command rejected', 'your host name is', 'is not permitted to relay through', 'mail from ip address',
  'connections not accepted from', 'has been temporarily blocked', 'ip has been blocked', 'poor reputation ip',
]);

/** Provider block codes (Cox "AUP#CDRBL", "AUP#CXBL"): checked first, they outrank the prose around them. */
export const blockedcode = defineRule('blocked', [], [/\baup#\w{0,8}bl\b/]);
