import { defineRule } from './rule.js';

/** The receiver's policy (not spam scoring) forbids this message. */
export const policyviolation = defineRule('policyviolation', [
  'policy violation', 'illegal attachment', 'denied by policy', 'violates', 'violated', 'policy reasons', 'for policy reason', 'local policy',
  'content policy', 'security policy', 'not in compliance', 'prohibited by', 'potential security issue',
  'message not accepted for policy', 'policy rejection', 'rejected by policy', 'against policy',
  'not allowed by policy', 'policy restriction', 'email policy', 'mail policy',
]);
