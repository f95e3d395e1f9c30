import { defineRule } from './rule.js';

/** The person moved to another address and the old one no longer forwards. */
export const hasmoved = defineRule('hasmoved', [
  'has been replaced by', 'mailbox has moved', 'destination mailbox has moved', 'user has moved',
  'address has changed', 'has moved to', 'no forwarding address', 'user moved', 'address has moved',
]);
