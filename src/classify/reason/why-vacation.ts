import { defineRule } from './rule.js';

/** An automatic reply quoted as a bounce's diagnostic (the recipient is away, not failing). */
export const vacation = defineRule('vacation', [
  'i am away on vacation', 'i am away until', 'i am out of the office', 'i will be traveling',
  'i am currently out of the office', 'i will be out of the office', 'i am on vacation', 'out of office until',
]);
