import { defineRule } from './rule.js';

/** A per-message limit other than size (header size, recipient count) was exceeded. */
export const exceedlimit = defineRule('exceedlimit', [
  'message header size exceeds limit', 'too many recipients for this message', 'recipient limit exceeded',
  'header size exceeds', 'too many headers',
]);
