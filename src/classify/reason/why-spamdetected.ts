import { defineRule } from './rule.js';

/** The receiver's filter judged the message content to be spam. */
export const spamdetected = defineRule('spamdetected', [
  'spam', 'junk mail', 'bulk mail', 'unsolicited', 'content filter', 'message content rejected',
  'message filtered', 'rejected by content', 'high probability of', 'looks suspicious', 'suspicious message',
  'phish', 'scored too high', 'score too high', 'score exceeded', 'x-spam', 'not accepted for delivery due to content',
]);
