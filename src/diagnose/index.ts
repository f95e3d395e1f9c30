// Public face of diagnose/: from events and flags to "what is wrong and where to look".
export { diagnose } from './diagnose.js';
export { formatFindings } from './format.js';
export { DEFAULT_THRESHOLDS } from './context.js';
export type { DiagnoseOptions, DiagnoseThresholds, Finding, FindingEvidence, RuleId, Severity } from './types.js';
