export { Spool } from './spool.js';
export type { SpoolOptions, SpoolState, SpooledMessage } from './spool.js';
export { RetainedMessages } from './retained.js';
