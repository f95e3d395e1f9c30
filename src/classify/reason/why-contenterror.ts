import { defineRule } from './rule.js';

/** The message is malformed or carries content the receiver cannot take (headers, attachments). */
export const contenterror = defineRule('contenterror', [
  'improper use of 8-bit data', 'too many "received" headers', 'invalid header', 'header error', 'malformed header',
  'attachment not allowed', 'prohibited attachment', 'blocked attachment', 'banned attachment',
  'message contains invalid', 'mime error', 'invalid mime', 'bad message content', 'message content is invalid',
  'message header', 'headers are malformed', 'invalid character',
]);
