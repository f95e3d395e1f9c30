import { defineRule } from './rule.js';

/** The mailbox exists but is disabled, suspended or inactive. */
export const suspend = defineRule('suspend', [
  'account disabled', 'account has been disabled', 'account is disabled', 'mailbox disabled',
  'mailbox is disabled', 'mailbox has been disabled', 'account is inactive', 'inactive account',
  'mailbox is inactive', 'account has been suspended', 'account suspended', 'account is suspended',
  'mailbox suspended', 'mailbox currently suspended', 'user suspended', 'is inactive',
  'account deactivated', 'account has been deactivated', 'disabled mailbox', 'account is locked',
  'account has been locked', 'email account that you tried to reach is disabled', 'is not active',
  'recipient suspend the service', 'account expired', 'mailbox is frozen', 'boite du destinataire archivee',
  'this account has been', 'user account is unavailable', 'user account disabled', 'has been disabled',
  'mailbox unavailable: disabled', 'account inactive', 'blocked due to inactivity', 'no longer active',
]);
