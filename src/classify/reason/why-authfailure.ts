import { defineRule } from './rule.js';

/** The sender domain failed SPF, DKIM or DMARC. */
export const authfailure = defineRule('authfailure', [
  'spf check failed', 'spf fail', 'spf validation', 'spf record', 'spf policy', 'bad spf', 'spf=fail',
  'sender policy framework', 'failed spf', 'spf: ', 'dmarc policy', 'dmarc validation', 'dmarc check',
  'dmarc fail', 'failed dmarc', 'dmarc reject', 'dmarc)', 'due to dmarc', 'dkim signature', 'dkim check',
  'dkim fail', 'failed dkim', 'dkim=fail', 'dkim validation', 'not pass authentication', 'unauthenticated email',
  'unauthenticated mail', 'is not authorized to send', 'not authorized to send mail on behalf',
  'sender domain has no valid', 'authentication checks', 'did not pass authentication', 'email authentication',
  'not designated as permitted sender', 'not permitted sender',
]);
