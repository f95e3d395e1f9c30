// Exchange Server message tracking logs (MSGTRK*.LOG): a W3C-style header ("#Software: ...",
// "#Fields: date-time,client-ip,...") then one CSV record per event. Each record may name several
// recipients ("a@x;b@y") with recipient-status aligned the same way.
import type { Emit, EvidenceStatus, LineOutcome, LineReader, LogEvidence, ReaderOptions, ReportMalformed } from '../types.js';
import { CsvRecordJoiner, normaliseHeader, parseCsvRecord, splitOutsideBrackets } from '../parse/csv.js';
import { findEnhancedCode, leadingReplyCode, matchReboundId, stripAngles } from '../parse/smtp-reply.js';

/** Every tracking record starts with its date-time. */
const ISO_DATE_START = /^\d{4}-\d{2}-\d{2}T/;

/** The Exchange 2013-2019 column order, used when a file (or a fragment of one) has no #Fields line. */
export const EXCHANGE_DEFAULT_FIELDS =
  'date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,connector-id,source,event-id,' +
  'internal-message-id,message-id,network-message-id,recipient-address,recipient-status,total-bytes,recipient-count,' +
  'related-recipient-address,reference,message-subject,sender-address,return-path,message-info,directionality,' +
  'tenant-id,original-client-ip,original-server-ip,custom-data,transport-traffic-type,log-id,schema-version';

/** Events that say something about delivery; the rest (SUBMIT, RESOLVE, AGENTINFO, ...) are skipped. */
const EVENT_STATUS: Record<string, EvidenceStatus> = {
  RECEIVE: 'received',
  SEND: 'sent',
  SENDEXTERNAL: 'sent',
  DELIVER: 'sent',
  DUPLICATEDELIVER: 'sent',
  FAIL: 'bounced',
  DEFER: 'deferred',
  DSN: 'other',
};

interface Columns {
  time: number;
  event: number;
  messageId: number;
  internalId: number;
  rcpt: number;
  rcptStatus: number;
  sender: number;
  returnPath: number;
  serverHost: number;
  serverIp: number;
  reference: number;
}

function columnsOf(fields: string[]): Columns {
  const names = fields.map(normaliseHeader);
  const at = (n: string): number => names.indexOf(n);
  return {
    time: at('datetime'),
    event: at('eventid'),
    messageId: at('messageid'),
    internalId: at('internalmessageid'),
    rcpt: at('recipientaddress'),
    rcptStatus: at('recipientstatus'),
    sender: at('senderaddress'),
    returnPath: at('returnpath'),
    serverHost: at('serverhostname'),
    serverIp: at('serverip'),
    reference: at('reference'),
  };
}

export class ExchangeReader implements LineReader {
  readonly format = 'exchange' as const;
  readonly openMessages = 0;
  readonly peakOpenMessages = 0;
  private file: string;
  private columns: Columns = columnsOf(EXCHANGE_DEFAULT_FIELDS.split(','));
  private readonly joiner = new CsvRecordJoiner((line) => ISO_DATE_START.test(line));
  private readonly reboundIdPattern: RegExp | undefined;

  constructor(opts: ReaderOptions) {
    this.file = opts.file;
    this.reboundIdPattern = opts.reboundIdPattern;
  }

  setFile(file: string): void {
    this.file = file;
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
    if (text.charCodeAt(0) === 35 /* # */ || text.startsWith('\uFEFF#')) {
      const f = text.indexOf('#Fields:');
      if (f >= 0) {
        const fields = parseCsvRecord(text.slice(f + 8).trim());
        if (!fields) return 'malformed';
        this.columns = columnsOf(fields);
      }
      return 'ok';
    }
    const row = parseCsvRecord(text);
    const c = this.columns;
    if (!row || c.time < 0 || c.event < 0 || row.length <= c.event) return 'malformed';
    const time = Date.parse(row[c.time] ?? '');
    if (Number.isNaN(time)) return 'malformed';
    const event = (row[c.event] ?? '').toUpperCase();
    const status = EVENT_STATUS[event];
    if (!status) return 'ok';
    const get = (i: number): string => (i >= 0 ? (row[i] ?? '').trim() : '');
    const recordLine = this.joiner.recordLine;
    const base: LogEvidence = { format: 'exchange', file: this.file, line: recordLine, raw: text, time: new Date(time), status };
    const internalId = get(c.internalId);
    if (internalId) base.queueId = internalId;
    let messageId = stripAngles(get(c.messageId));
    if (event === 'DSN') {
      // A DSN event is the notification itself; "reference" points at the message it reports on.
      const ref = stripAngles(get(c.reference));
      if (ref) messageId = ref;
      if (internalId) base.ndrQueueId = internalId;
    }
    if (messageId) base.messageId = messageId;
    const returnPath = get(c.returnPath);
    const from = returnPath || get(c.sender);
    if (from) base.from = from === '<>' ? '' : stripAngles(from);
    if (status === 'sent' || status === 'deferred' || status === 'bounced') {
      const host = get(c.serverHost);
      const ip = get(c.serverIp);
      if (host) base.relay = ip ? `${host}[${ip}]` : host;
    }
    const rid = matchReboundId(this.reboundIdPattern, base.from, base.messageId);
    if (rid) base.reboundQueueId = rid;
    // DELIVER is the store driver putting the message into a mailbox; SEND goes to another server.
    if (status === 'sent') base.via = event === 'DELIVER' || event === 'DUPLICATEDELIVER' ? 'mailbox' : 'smtp';

    const rcpts = get(c.rcpt).split(';').map((r) => r.trim()).filter((r) => r.length > 0);
    const statusText = get(c.rcptStatus);
    const statuses = splitOutsideBrackets(statusText, ';');
    const aligned = statuses.length === rcpts.length;
    if (rcpts.length === 0) {
      emit(withReply(base, statusText));
      return 'ok';
    }
    for (let i = 0; i < rcpts.length; i++) {
      const ev = withReply({ ...base }, aligned ? (statuses[i] ?? '').trim() : statusText);
      ev.rcpt = stripAngles(rcpts[i] ?? '');
      emit(ev);
    }
    return 'ok';
  }
}

function withReply(ev: LogEvidence, reply: string): LogEvidence {
  if (!reply) return ev;
  ev.reply = reply;
  const dsn = findEnhancedCode(reply);
  if (dsn) ev.dsn = dsn;
  const code = leadingReplyCode(reply);
  if (code !== undefined) ev.code = code;
  return ev;
}

export function createExchangeReader(opts: ReaderOptions): ExchangeReader {
  return new ExchangeReader(opts);
}
