export { ReturnPathServer } from './server.js';
export type { ReturnPathServerDeps } from './server.js';
export { ReportProcessor } from './process.js';
export type { ProcessedReport } from './process.js';
export { ReportArchive } from './report-archive.js';
export { correlate } from './correlate.js';
export { parseReport, toJsonlLine, parseFileToJsonl } from './parse/index.js';
export type { ParsedReport, BounceRecord } from './parse/index.js';
