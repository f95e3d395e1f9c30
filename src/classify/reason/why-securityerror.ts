import { defineRule } from './rule.js';

/** Authentication or access control between the servers failed (SMTP AUTH, access rules). */
export const securityerror = defineRule('securityerror', [
  'authentication required', 'could not retrieve credentials', 'authentication failed', 'authentication is required', 'auth failed',
  'not authenticated', 'must be authenticated', 'requires authentication', 'authentication credentials',
  'username and password not accepted', 'invalid credentials', 'relay requires authentication',
  'security error', 'security violation', 'must authenticate', 'access denied for', 'sender not authenticated',
  'unauthenticated sender', 'sending address not accepted', 'your account is not verified',
  'email address is not verified', 'not verified', 'authorization', 'unauthorized', 'not authorized',
  'not permitted', 'permission denied',
]);
