import { defineRule } from './rule.js';

/** TLS could not be negotiated. */
export const failedstarttls = defineRule('failedstarttls', [
  'starttls failed', 'tls negotiation failed', 'tls handshake failed', 'ssl handshake', 'certificate verify failed',
  'ssl routines', 'could not establish tls', 'failed to establish tls', 'starttls is required', 'must issue a starttls',
  'tls required', 'encryption required', 'tls is required', 'cannot start tls',
]);
