import { defineRule } from './rule.js';

/** The message is larger than the receiver accepts. */
export const mesgtoobig = defineRule('mesgtoobig', [
  'message too large', 'message too big', 'message is too large', 'message is too big', 'message size exceeds',
  'message size limit', 'exceeds size limit', 'exceeded maximum inbound message size', 'max message size exceeded',
  'message file too big', 'message length exceeds administrative limit', 'size of the message exceeds',
  'mail size limit exceeded', 'message exceeds maximum', 'email is too large', 'size limit exceeded',
  'line limit exceeded', 'taille limite du message atteinte', 'message size exceeds fixed',
]);
