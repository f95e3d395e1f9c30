export { SubmissionServer } from './server.js';
export type { SubmissionDeps, Refusal } from './server.js';
