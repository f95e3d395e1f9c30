import { defineRule } from './rule.js';

/** The sending IP or domain has a poor reputation with the receiver. */
export const badreputation = defineRule('badreputation', [
  'ip reputation', 'poor reputation', 'bad reputation', 'low reputation', 'sender reputation',
  'reputation of', 'domain reputation', 'reputation is', 'reputation score', 'unexpected volume or user complaints',
  'due to ip reputation', 'sending ip is low', 'very low reputation',
]);
