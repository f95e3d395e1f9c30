import { defineRule } from './rule.js';

/** The message does not follow the Internet Message Format (RFC 5322). */
export const notcompliantrfc = defineRule('notcompliantrfc', [
  'rfc 5322', 'rfc5322', 'rfc 2822', 'rfc2822', 'rfc 822', 'rfc822 ', 'not rfc compliant', 'rfc-compliant',
  'rfc compliant', 'multiple addresses in from', 'missing a valid address in from', 'having no from: header', 'duplicate header', 'missing date header', 'missing from header',
  'not compliant with rfc', 'compliant with rfc', 'bare lf', 'bare linefeed', 'message is not rfc',
]);
