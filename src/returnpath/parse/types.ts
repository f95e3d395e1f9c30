import type { Category, Reason } from '../../classify/index.js';

/** One recipient's outcome as read from a bounce, feedback report or auto-reply. */
export interface BounceRecord {
  rcpt: string;
  /** Enhanced status ("5.1.1"); a Sisimai-style pseudo code ("5.0.911") when the report had none. */
  status: string;
  /** Basic SMTP reply code ("550"), or "" when the report quotes none. */
  replycode: string;
  reason: Reason;
  hardbounce: boolean;
  category: Category;
  /** Which dialect module read it, in Sisimai's naming ("Postfix", "RFC3464", "ARF"). */
  decodedby: string;
  diagnostic: string;
  action?: string;
  remoteMta?: string;
  /** The DSN's Reporting-MTA: the server that wrote the report. */
  reportingMta?: string;
  lastAttempt?: string;
  feedbacktype?: string;
  originalRcpt?: string;
}

/** Identity of the message that bounced, read from the returned copy. */
export interface OriginalMessage {
  messageId?: string;
  /** From our trace header X-Rebound-Queue-Id. */
  queueId?: string;
  from?: string;
  to?: string;
  subject?: string;
  headers?: Record<string, string>;
}

export type ReportKind = 'dsn' | 'arf' | 'autoreply' | 'lhost' | 'none';

export interface ParsedReport {
  kind: ReportKind;
  results: BounceRecord[];
  original: OriginalMessage;
  from?: string;
  subject?: string;
  error?: string;
}

/** What a dialect reads before classification: raw facts, no verdict yet. */
export interface Draft {
  rcpt: string;
  status?: string;
  replycode?: string;
  diagnostic?: string;
  action?: string;
  remoteMta?: string;
  reportingMta?: string;
  lastAttempt?: string;
  originalRcpt?: string;
  /** Type of the Diagnostic-Code ("smtp", "x-unix", "x-postfix"), lower-cased. */
  diagType?: string;
  /** SMTP command the failure answered: MAIL, RCPT, DATA, HELO, CONN. */
  command?: string;
  /** Reason the dialect is sure of (its own vocabulary); skips phrase classification. */
  reason?: Reason;
  /** Temporary failure (delay notice, 4xx). */
  temporary?: boolean;
  /** A "still trying" notice (Action: delayed, delay warnings), not a final bounce. */
  delayed?: boolean;
  /** Extra words about the failure (the comment of a Status field) that help classification. */
  note?: string;
  feedbacktype?: string;
  /** Surrounding notification text, used for classification when the diagnostic says too little. */
  context?: string;
}
