import { defineRule } from './rule.js';

/**
 * Content blocklists (URIBL, SURBL): the message's links, not the sending host, are listed. Probed
 * before the host blocklists, whose texts share the word "blacklisted".
 */
export const spamcontent = defineRule('spamdetected', [
  'blacklisted url', 'blacklisted link', 'uribl', 'surbl', 'url in message', 'listed url', 'dbl.spamhaus',
]);

/** The receiver's filter judged the message content to be spam. */
export const spamdetected = defineRule('spamdetected', [
  'spam detected', 'spam points', 'detected as spam', 'classified as spam', 'considered spam', 'considered as spam',
  'identified as spam', 'message is spam', 'spam message', 'spam content', 'looks like spam', 'spam score',
  'spamassassin', 'likely spam', 'spam filter', 'as spam', 'marked as spam', 'suspected spam', 'spam rejected',
  'contains spam', 'spam policy', 'spam or virus', 'spamming', 'rejected as bulk', 'junk mail', 'bulk mail', 'unsolicited', 'content filter', 'message content rejected',
  'rejected by content', 'likely unsolicited mail', 'high probability of', 'looks suspicious', 'suspicious message',
  'phish', 'scored too high', 'score too high', 'score exceeded', 'x-spam', 'not accepted for delivery due to content',
]);
