import { defineRule } from './rule.js';

/** The sender (envelope From / its domain) was refused. */
export const rejected = defineRule('rejected', [
  'sender address rejected', 'sender rejected', 'sender denied', 'sender not allowed', 'sender verify failed',
  'sender verification failed', 'sender unknown', 'unknown sender', 'invalid sender', 'bad sender',
  'domain of sender address', 'sender domain', 'mail from rejected', 'envelope sender', 'envelope from',
  'your address is not allowed', 'sender address is not', 'return path', 'return-path', 'from address',
  'sender is', 'sender address', 'mail from:', 'from: address', 'address rejected: domain not found',
  'send mail as', 'rejected the sender', 'unverified sender', 'sender email', 'your email address',
  'was rejected by the', 'we do not accept mail from', 'not accept mail from', 'rejected for policy',
  'address verification failed', 'verification failed', 'is not allowed to send', 'sender\'s',
]);
