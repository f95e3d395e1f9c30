// The one record every delivery-log reader produces, and the small contract a reader fulfils.

export const LOG_FORMATS = ['postfix', 'exim', 'sendmail', 'exchange', 'm365', 'rebound'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/**
 * What a log line says happened to one recipient (or, for `received` and `other`, to a message).
 * `received` is an arrival into that MTA; `other` is a side fact worth keeping (e.g. Postfix
 * generated a non-delivery notification), never a delivery outcome.
 */
export type EvidenceStatus = 'sent' | 'deferred' | 'bounced' | 'expired' | 'received' | 'other';

export interface LogEvidence {
  format: LogFormat;
  /** The path given to readLog. */
  file: string;
  /** 1-based line number in the (decompressed) file; for multi-line CSV records, the first line. */
  line: number;
  /** The line as read (the whole record for multi-line CSV records). */
  raw: string;
  time?: Date;
  /** The MTA's own id for the message (Postfix/sendmail queue id, Exim message id, Exchange internal id). */
  queueId?: string;
  /** Message-ID header, without angle brackets. */
  messageId?: string;
  /** Rebound's queue id when the line reveals it (always for the rebound format; see ReadLogOptions.reboundIdPattern). */
  reboundQueueId?: string;
  /** Envelope sender ('' is the null sender). */
  from?: string;
  rcpt?: string;
  /** The address before aliasing/forwarding, when the log names it. */
  origRcpt?: string;
  status: EvidenceStatus;
  /** Enhanced status code, e.g. "5.1.1". */
  dsn?: string;
  /** Basic SMTP reply code when the reply text starts with one. */
  code?: number;
  /** Where the message went (host[ip]:port as the MTA logs it). */
  relay?: string;
  /** The reply or diagnostic text. */
  reply?: string;
  /** Queue id of the notification (bounce/DSN) this MTA generated for the message. */
  ndrQueueId?: string;
  /**
   * For `sent` records, where the message went: 'mailbox' when this host put it into a mailbox
   * (Postfix local/virtual/lmtp/pipe, Exim local transports, Exchange STOREDRIVER), 'smtp' when it
   * handed it to the host in `relay`. Whether an 'smtp' record is a hand-off inside the chain or a
   * final delivery to the recipient's MX is the chain's call (see chain-hosts.ts), not the reader's.
   */
  via?: 'mailbox' | 'smtp';
  /** The host that wrote the line (the syslog host field), when the log names it. */
  host?: string;
}

/** What a reader concluded about one line; records go through `emit`. */
export type LineOutcome = 'ok' | 'malformed';

export type Emit = (evidence: LogEvidence) => void;

/** Reports a malformed record found after the fact (e.g. a CSV record whose quote never closed). */
export type ReportMalformed = (line: number, text: string) => void;

/**
 * A line-level parser plus whatever joining state its format needs. Readers are fed lines in
 * file order; `line` is the 1-based line number and `raw` is what to put in LogEvidence.raw.
 */
export interface LineReader {
  readonly format: LogFormat;
  readLine(text: string, line: number, emit: Emit, malformed: ReportMalformed): LineOutcome;
  /** End of a file: settle anything buffered (called before setFile and at the end). */
  flush?(emit: Emit, malformed: ReportMalformed): void;
  /** Switch to the next file of a rotated set (joining state is kept). */
  setFile(file: string): void;
  /** Number of messages whose joining state is held right now (0 for stateless formats). */
  readonly openMessages: number;
  /** Highest openMessages seen so far. */
  readonly peakOpenMessages: number;
}

/** Options every reader factory accepts. */
export interface ReaderOptions {
  file: string;
  /** For logs whose timestamps lack a year: a date at (or just after) the end of the log. */
  referenceDate?: Date | undefined;
  /** Offset of zone-less timestamps from UTC in minutes; default: this machine's local zone. */
  utcOffsetMinutes?: number | undefined;
  /** Cap on messages held for joining (oldest dropped first). Default 100,000. */
  maxOpenMessages?: number | undefined;
  /** First capture group, tried on the envelope sender then the Message-ID, yields reboundQueueId. */
  reboundIdPattern?: RegExp | undefined;
}

export interface MalformedSample {
  line: number;
  text: string;
}

export interface ReadStats {
  /** Lines read, including empty and ignored ones. */
  lines: number;
  /** Records yielded (after the `since` filter). */
  records: number;
  malformed: number;
  malformedSamples: MalformedSample[];
  /** Highest number of messages held for joining at once. */
  peakOpenMessages: number;
  /** Set when the input ended early (e.g. a truncated gzip file); what was read before still counts. */
  truncated?: string;
}
