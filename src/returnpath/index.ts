export { ReturnPathServer } from './server.js';
export type { ReturnPathServerDeps } from './server.js';
export { ReportProcessor } from './process.js';
export type { ProcessedReport, ParseResult } from './process.js';
export { ParsePool } from './parse-pool.js';
export { ReportArchive } from './report-archive.js';
export { correlate } from './correlate.js';
export { parseReport, toJsonlLine, parseFileToJsonl } from './parse/index.js';
export type { ParsedReport, BounceRecord } from './parse/index.js';
