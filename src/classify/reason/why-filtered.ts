import { defineRule } from './rule.js';

/** The recipient (or their filter) refuses this sender or this kind of mail. */
export const filtered = defineRule('filtered', [
  'refused due to recipient preferences', 'only accepting mail from specific', 'is not accepting any mail',
  'has restricted sms e-mail', 'this account is protected by', 'refuse to receive mail', 'recipient refuses',
  'rejected by the recipient', 'rejected by recipient', 'user reject', 'not authorized to send to this recipient',
  'resolver.rst.notauthorized', 'not authorized to send to', 'notauthorized',
  'sender is not allowed to send', 'recipient has blocked', 'has blocked you', 'filtered', 'filter rejected',
  'mail rejected by user', 'recipient address denied', 'you are not allowed to post', 'only accepts mail from',
  'not on the allowed list', 'whitelist', 'sender not in', 'blocked by recipient', 'recipient is restricted',
]);
