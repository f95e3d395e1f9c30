import { defineRule } from './rule.js';

/** The sending host or IP is blocked (DNS blocklist, provider block, connection refused by policy). */
export const blocked = defineRule('blocked', [
  'blocked using', 'blocked by', 'blacklist', 'black list', 'blocklist', 'block list', 'blocklisted',
  'spamhaus', 'spamcop', 'sorbs', 'barracudacentral', 'dnsbl', ' rbl', 'rbl:', 'listed in', 'listed at',
  'listed on', 'ip address has been blocked', 'your ip', 'ip blocked', 'host blocked', 'has been blocked',
  'is blocked', 'are blocked', 'banned', 'client host rejected', 'connection refused due to', 'connection rejected',
  'access denied', 'service unavailable; client host', 'not allowed to connect', 'your host', 'your server',
  'your network', 'sending host', 'sending ip', 'sender ip', 'messages from', 'temporarily deferred',
  'refused to talk', 'client not authorized', 'dynamic ip', 'dynamic address', 'dial-up', 'dialup',
  'residential', 'rejected due to', 'rejecting open', 'mail server has been', 'block:', 'blocked -', 'blocked.',
  'hostile', 'denied by', 'not allowed to send from', 'rejected because', 'blocked because',
], [/\bblocked\b/]);
