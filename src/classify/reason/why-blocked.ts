import { defineRule } from './rule.js';

/** The sending host or IP is blocked (DNS blocklist, provider block, connection refused by policy). */
export const blocked = defineRule('blocked', [
  'blocked using', 'blocked by', 'blacklist', 'black list', 'blocklist', 'block list', 'blocklisted',
  'spamhaus', 'spamcop', 'sorbs', 'barracudacentral', 'dnsbl', ' rbl', 'rbl:', 'listed in', 'listed at',
  'listed on', 'ip address has been blocked', 'your ip', 'ip blocked', 'host blocked', 'has been blocked',
  'is blocked', 'are blocked', 'banned', 'client host rejected', 'connection refused due to', 'connection rejected',
  'service unavailable; client host', 'not allowed to connect', 'your network', 'sending ip', 'sender ip',
  'temporarily deferred',
  'refused to talk', 'client not authorized', 'dynamic ip', 'dynamic address', 'dial-up', 'dialup',
  'residential', 'rejected due to', 'rejecting open', 'mail server has been', 'block:', 'blocked -', 'blocked.',
  'hostile', 'denied by', 'not allowed to send from', 'rejected because', 'blocked because',
  'weren\'t sent', 'were not sent',
], [/\bblocked\b/]);

/** Provider block codes (Cox "AUP#CDRBL", "AUP#CXBL"): checked first, they outrank the prose around them. */
export const blockedcode = defineRule('blocked', [], [/\baup#\w{0,8}bl\b/]);
