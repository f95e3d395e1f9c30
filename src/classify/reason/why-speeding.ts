import { defineRule } from './rule.js';

/** The sender is sending too fast (rate limit), not a problem with the address. */
export const speeding = defineRule('speeding', [
  'sending rate limit', 'message rate limit', 'rate limited', 'too many messages', 'sending rate', 'rate exceeded',
  'exceeded the rate', 'throttl', 'too fast', 'slow down', 'try again slower', 'please try again later slower',
  'received too many', 'prevents additional messages', 'too much mail', 'message rate', 'rate of',
  'sending quota', 'daily sending', 'hourly', 'exceeded daily', 'daily limit', 'too many emails',
]);
