export { Spool } from './spool.js';
export type { SpoolOptions, SpoolState, SpooledMessage } from './spool.js';
export type { MessageQueue } from './message-queue.js';
export { RetainedMessages } from './retained.js';
