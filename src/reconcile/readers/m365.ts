// Microsoft 365 / Exchange Online message trace CSV exports. Two shapes exist:
//  - the historical / extended report: origin_timestamp_utc, sender_address, recipient_status, ...
//    where recipient_status is "rcpt##Receive, Deliver;rcpt2##Receive, Fail"
//  - the summary report / Get-MessageTrace | Export-Csv: Received, SenderAddress, RecipientAddress,
//    Subject, Status (Delivered, Failed, Pending, ...), ToIP, FromIP, Size, MessageId, MessageTraceId
// The first non-empty line (after an optional PowerShell "#TYPE ..." line) names the columns.
import type { Emit, EvidenceStatus, LineOutcome, LineReader, LogEvidence, ReaderOptions, ReportMalformed } from '../types.js';
import { CsvRecordJoiner, normaliseHeader, parseCsvRecord } from '../parse/csv.js';
import { matchReboundId, stripAngles } from '../parse/smtp-reply.js';

const SUMMARY_STATUS: Record<string, EvidenceStatus> = {
  delivered: 'sent',
  failed: 'bounced',
  pending: 'deferred',
  expanded: 'other',
  quarantined: 'other',
  filteredasspam: 'other',
  gettingstatus: 'other',
  none: 'other',
  resolved: 'other',
};

/** Event names in the extended report's recipient_status, by what the last one means. */
const EVENT_STATUS: Record<string, EvidenceStatus> = {
  deliver: 'sent',
  send: 'sent',
  fail: 'bounced',
  defer: 'deferred',
  receive: 'received',
  expand: 'other',
};

const TIME_COLUMNS = ['origintimestamputc', 'datetimeutc', 'received', 'receiveddatetime', 'datetime', 'date'];

interface Columns {
  shape: 'extended' | 'summary';
  time: number;
  sender: number;
  rcpt: number;
  status: number;
  messageId: number;
  traceId: number;
  toIp: number;
}

/** Message trace times are UTC; exports write them without a zone, in ISO or US form. */
export function parseTraceTime(text: string): number {
  const t = text.trim();
  const us = /^(\d{1,2})\/(\d{1,2})\/(\d{4}) (\d{1,2}):(\d{2})(?::(\d{2}))?(?: ?([AP]M))?$/i.exec(t);
  if (us) {
    let h = Number(us[4]);
    const ampm = us[7]?.toUpperCase();
    if (ampm === 'PM' && h < 12) h += 12;
    if (ampm === 'AM' && h === 12) h = 0;
    return Date.UTC(Number(us[3]), Number(us[1]) - 1, Number(us[2]), h, Number(us[5]), Number(us[6] ?? 0));
  }
  const iso = t.replace(' ', 'T');
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/.test(iso);
  return Date.parse(hasZone ? iso : `${iso}Z`);
}

function columnsOf(header: string[]): Columns | undefined {
  const names = header.map(normaliseHeader);
  const at = (n: string): number => names.indexOf(n);
  const time = TIME_COLUMNS.map(at).find((i) => i >= 0) ?? -1;
  const messageId = at('messageid');
  if (time < 0) return undefined;
  if (at('recipientstatus') >= 0 && at('recipientaddress') < 0) {
    return { shape: 'extended', time, sender: at('senderaddress'), rcpt: -1, status: at('recipientstatus'), messageId, traceId: at('networkmessageid'), toIp: -1 };
  }
  if (at('recipientaddress') >= 0 && at('status') >= 0) {
    return { shape: 'summary', time, sender: at('senderaddress'), rcpt: at('recipientaddress'), status: at('status'), messageId, traceId: at('messagetraceid'), toIp: at('toip') };
  }
  return undefined;
}

export class M365Reader implements LineReader {
  readonly format = 'm365' as const;
  readonly openMessages = 0;
  readonly peakOpenMessages = 0;
  private file: string;
  private columns: Columns | undefined;
  private readonly joiner = new CsvRecordJoiner();
  private readonly reboundIdPattern: RegExp | undefined;

  constructor(opts: ReaderOptions) {
    this.file = opts.file;
    this.reboundIdPattern = opts.reboundIdPattern;
  }

  setFile(file: string): void {
    // Each export file starts with its own header row.
    this.file = file;
    this.columns = undefined;
  }

  flush(_emit: Emit, malformed: ReportMalformed): void {
    const broken = this.joiner.takePending();
    if (broken) malformed(broken.line, broken.text);
  }

  readLine(line: string, lineNo: number, emit: Emit, malformed: ReportMalformed): LineOutcome {
    const text = this.joiner.push(line, lineNo);
    if (this.joiner.abandoned) malformed(this.joiner.abandoned.line, this.joiner.abandoned.text);
    if (text === 'pending') return 'ok';
    if (text === 'overflow') return 'malformed';
    if (text.startsWith('#TYPE') || text.startsWith('\uFEFF#TYPE')) return 'ok';
    const row = parseCsvRecord(text.replace(/^\uFEFF/, ''));
    if (!row) return 'malformed';
    if (!this.columns) {
      this.columns = columnsOf(row);
      return this.columns ? 'ok' : 'malformed';
    }
    const c = this.columns;
    const get = (i: number): string => (i >= 0 ? (row[i] ?? '').trim() : '');
    const time = parseTraceTime(get(c.time));
    if (Number.isNaN(time) || row.length <= Math.max(c.time, c.status)) return 'malformed';
    const base: LogEvidence = { format: 'm365', file: this.file, line: this.joiner.recordLine, raw: text, time: new Date(time), status: 'other' };
    const sender = get(c.sender);
    if (sender) base.from = stripAngles(sender);
    const messageId = stripAngles(get(c.messageId));
    if (messageId) base.messageId = messageId;
    const traceId = get(c.traceId);
    if (traceId) base.queueId = traceId;
    const rid = matchReboundId(this.reboundIdPattern, base.from, base.messageId);
    if (rid) base.reboundQueueId = rid;

    if (c.shape === 'summary') {
      const status = get(c.status);
      base.status = SUMMARY_STATUS[status.toLowerCase()] ?? 'other';
      base.reply = status;
      const toIp = get(c.toIp);
      if (toIp) base.relay = toIp;
      // Delivered with a ToIP went out to that server; without one it went into a mailbox in the tenant.
      if (base.status === 'sent') base.via = toIp ? 'smtp' : 'mailbox';
      for (const rcpt of get(c.rcpt).split(';')) {
        if (rcpt.trim()) emit({ ...base, rcpt: stripAngles(rcpt) });
      }
      return 'ok';
    }
    for (const entry of get(c.status).split(';')) {
      const sep = entry.indexOf('##');
      const rcpt = (sep >= 0 ? entry.slice(0, sep) : entry).trim();
      if (!rcpt) continue;
      const events = sep >= 0 ? entry.slice(sep + 2).split(',').map((e) => e.trim()).filter((e) => e) : [];
      const last = events[events.length - 1];
      const status = last ? EVENT_STATUS[last.toLowerCase()] ?? 'other' : 'other';
      const ev: LogEvidence = { ...base, rcpt, status };
      if (status === 'sent') ev.via = last?.toLowerCase() === 'deliver' ? 'mailbox' : 'smtp';
      if (events.length > 0) ev.reply = events.join(', ');
      emit(ev);
    }
    return 'ok';
  }
}

export function createM365Reader(opts: ReaderOptions): M365Reader {
  return new M365Reader(opts);
}
