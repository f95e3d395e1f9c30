import { defineRule } from './rule.js';

/** The sender (envelope From / its domain) was refused. */
export const rejected = defineRule('rejected', [
  'sender address rejected', 'sender rejected', 'sender denied', 'sender not allowed', 'sender verify failed',
  'sender verification failed', 'sender unknown', 'unknown sender', 'invalid sender', 'bad sender',
  'domain of sender address', 'sender domain', 'mail from rejected', 'envelope sender', 'envelope from',
  'your address is not allowed', 'sender address is not', 'invalid from', 'from: domain is invalid',
  'provide a valid from', 'purported responsible address', 'sender address', 'send mail as',
  'rejected the sender', 'unverified sender', 'we do not accept mail from', 'address verification failed',
]);
