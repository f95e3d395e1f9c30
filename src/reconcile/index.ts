// Public face of reconcile/: streaming readers for upstream delivery logs. Each yields LogEvidence;
// matching evidence against Rebound's own records is a separate step built on top of this.
export * from './types.js';
export { readLog, readLogs, ReconcileError, READER_FACTORIES } from './read-log.js';
export type { ReadLogOptions, LogRead } from './read-log.js';
export { detectFormat } from './detect.js';
export { PostfixReader, createPostfixReader } from './readers/postfix.js';
export { EximReader, createEximReader } from './readers/exim.js';
export { SendmailReader, createSendmailReader } from './readers/sendmail.js';
export { ExchangeReader, createExchangeReader, EXCHANGE_DEFAULT_FIELDS } from './readers/exchange.js';
export { M365Reader, createM365Reader } from './readers/m365.js';
export { ReboundReader, createReboundReader } from './readers/rebound.js';
export { reconcile, parseSince, REBOUND_ID_PATTERN } from './run.js';
export type { ReconcileResult } from './run.js';
export { scanLog } from './read-log.js';
export type { ScanResult } from './read-log.js';
export { ReconcileFollower } from './follow.js';
export { formatReconcileReport } from './report.js';
