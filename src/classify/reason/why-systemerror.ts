import { defineRule } from './rule.js';

/** The receiving system failed (configuration, loop, internal error). */
export const systemerror = defineRule('systemerror', [
  'system error', 'delivery to file forbidden', 'delivery to pipe forbidden', 'local delivery failed', 'lmtp error after',
  'this domain\'s dns violates rfc 1035', 'internal error', 'internal server error', 'server error', 'local error in processing',
  'mail system error', 'loops back to myself', 'configuration error', 'transaction failed',
  'service currently unavailable', 'service unavailable', 'service refused', 'please try later', 'local configuration', 'unable to contact ldap',
  'duplicated message-id', 'temporary local problem', 'system resources', 'temporarily unavailable',
  'system is not configured', 'problem with the recipient server', 'server is not responding properly',
  'unable to process', 'remote server error', 'local error', 'service not available', 'internal failure',
  'mailbox temporarily unavailable', 'system problem', 'database error', 'loops back', 'mail forwarding loop',
  'server busy', 'temporarily rejected',
]);
