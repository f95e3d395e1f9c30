// Rebound's own pino log: one JSON object per line. Delivery attempts carry the stable fields
// queueId, messageId, rcpt, status (delivered|deferred|bounced|expired), code, enhanced,
// response, mx, attempt, delayMs; every other line (startup, sessions, ...) is skipped.
import type { Emit, EvidenceStatus, LineOutcome, LineReader, LogEvidence, ReaderOptions } from '../types.js';
import { stripAngles } from '../parse/smtp-reply.js';

const STATUS: Record<string, EvidenceStatus> = {
  delivered: 'sent',
  deferred: 'deferred',
  bounced: 'bounced',
  expired: 'expired',
};

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

export class ReboundReader implements LineReader {
  readonly format = 'rebound' as const;
  readonly openMessages = 0;
  readonly peakOpenMessages = 0;
  private file: string;

  constructor(opts: ReaderOptions) {
    this.file = opts.file;
  }

  setFile(file: string): void {
    this.file = file;
  }

  readLine(line: string, lineNo: number, emit: Emit): LineOutcome {
    const text = line.trim();
    if (text.charCodeAt(0) !== 123 /* { */ || text.charCodeAt(text.length - 1) !== 125) return 'malformed';
    // Most lines are not delivery attempts: skip them without parsing.
    if (text.indexOf('"rcpt"') < 0 || text.indexOf('"status"') < 0) return 'ok';
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch {
      return 'malformed';
    }
    if (typeof obj !== 'object' || obj === null) return 'malformed';
    const o = obj as Record<string, unknown>;
    const status = typeof o.status === 'string' ? STATUS[o.status] : undefined;
    const rcpt = str(o.rcpt);
    if (!status || !rcpt) return 'ok';
    const ev: LogEvidence = { format: 'rebound', file: this.file, line: lineNo, raw: line, status, rcpt };
    if (typeof o.time === 'number') ev.time = new Date(o.time);
    else if (typeof o.time === 'string' && !Number.isNaN(Date.parse(o.time))) ev.time = new Date(o.time);
    const queueId = str(o.queueId);
    if (queueId) {
      ev.queueId = queueId;
      ev.reboundQueueId = queueId;
    }
    const messageId = str(o.messageId);
    if (messageId) ev.messageId = stripAngles(messageId);
    const from = typeof o.from === 'string' ? o.from : undefined;
    if (from !== undefined) ev.from = from;
    const enhanced = str(o.enhanced);
    if (enhanced) ev.dsn = enhanced;
    if (typeof o.code === 'number') ev.code = o.code;
    const response = str(o.response);
    if (response) ev.reply = response;
    const mx = str(o.mx);
    if (mx) ev.relay = mx;
    // Rebound only ever hands messages to a smarthost or an MX.
    if (status === 'sent') ev.via = 'smtp';
    emit(ev);
    return 'ok';
  }
}

export function createReboundReader(opts: ReaderOptions): ReboundReader {
  return new ReboundReader(opts);
}
