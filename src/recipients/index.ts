export { applyAcceptedDelivered, applyAttempt, clearFlag, emptyRecipient, settleAwaiting } from './reduce.js';
export type { Acceptance, FlagChange } from './reduce.js';
export { OutcomeRecorder } from './recorder.js';
export type { RecorderOptions } from './recorder.js';
export { describeEvent } from './describe.js';
export { applyReport, isBounceReport, provesDelivery, suppress, unsuppress } from './report.js';
export type { ReportChange } from './report.js';
