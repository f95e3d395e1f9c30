// Public face of the classifier: SMTP reply or bounce text -> reason -> category, hard or soft.
export * from './types.js';
export { classifyReply, reasonOf, isPermanent, enhancedOf, codeOf, HARD_REASONS } from './classify-reply.js';
export { categoryOf, categoryInfo } from './categories.js';
export { parseReply } from './parse-reply.js';
export type { ParsedReply } from './parse-reply.js';
export { statusName, pseudoStatus } from './status-codes.js';
export { decideReason } from './decide.js';
export type { Evidence } from './decide.js';
export { RULES, reasonFromText, normaliseText, says } from './reason/index.js';
export type { ReasonRule } from './reason/index.js';
