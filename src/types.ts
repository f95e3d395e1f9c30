// Typed values the pipeline stages hand each other (see ARCHITECTURE.md).
import type { Category, Reason } from './classify/index.js';

/** What submission accepted: the SMTP envelope plus where it came from. */
export interface Envelope {
  queueId: string;
  /** Envelope sender; '' is the null sender. */
  from: string;
  rcpts: string[];
  /** Message-ID header of the message, without angle brackets, if it had one. */
  messageId: string | null;
  receivedAt: number;
  size: number;
  user: string | null;
  clientIp: string;
  smtpUtf8: boolean;
  bodyType: '7bit' | '8bitmime';
}

export type RecipientStatus = 'queued' | 'deferred' | 'delivered' | 'bounced' | 'expired';

/** Why a delivery attempt failed without the recipient being at fault. */
export type IntegrationCause = 'connection' | 'timeout' | 'tls' | 'auth' | 'greeting' | 'dns' | 'protocol' | 'sender' | 'operator';

/** One upstream reply to one recipient in one attempt. */
export interface Attempt {
  queueId: string;
  messageId: string | null;
  rcpt: string;
  attempt: number;
  status: Exclude<RecipientStatus, 'queued'>;
  /**
   * SMTP stage the reply answered: connect (greeting or no connection), helo, mail, rcpt, data
   * (the DATA command itself), eod (end of data: the server read the message), expiry.
   */
  stage: 'connect' | 'helo' | 'mail' | 'rcpt' | 'data' | 'eod' | 'expiry';
  code: number | null;
  enhanced: string | null;
  response: string;
  mx: string | null;
  ip: string | null;
  tls: boolean;
  startedAt: number;
  finishedAt: number;
  /** Classification of a failure (absent for deliveries). */
  reason?: Reason;
  category?: Category;
  hard?: boolean;
  /** Set when the failure was not about the recipient. */
  integration?: IntegrationCause;
}

/** Everything that happens flows into the store as one of these. */
export type RecipientEvent =
  | ({ type: 'attempt'; id: string; time: number } & Attempt)
  | {
      type: 'integration';
      id: string;
      time: number;
      queueId: string;
      cause: IntegrationCause;
      mx: string | null;
      code: number | null;
      response: string;
      rcpts: string[];
    }
  | ({ type: 'report'; id: string; time: number } & ReportOutcome)
  | {
      type: 'reconcile';
      id: string;
      time: number;
      queueId: string;
      messageId: string | null;
      rcpt: string;
      /** mismatch: we recorded a failure but the log shows delivery; confirmed: the log agrees with the failure. */
      verdict: 'mismatch' | 'confirmed';
      /** The server whose report the log contradicts (or confirms): the hop that answered, the DSN's MTA, or our upstream. */
      upstreamHost: string | null;
      evidence: LogEvidenceRef;
      /**
       * What decided it: 'final' a hop's own final outcome (a mailbox, the recipient's MX, a bounce
       * it decided), 'relayed' a hop logging its next hop's refusal, 'own-log' Rebound's own log.
       */
      basis?: 'final' | 'relayed' | 'own-log';
    }
  | {
      type: 'flag' | 'clear' | 'suppress' | 'unsuppress';
      id: string;
      time: number;
      rcpt: string;
      reason: Reason | null;
      queueId: string | null;
      by: 'attempt' | 'report' | 'reconcile' | 'operator' | 'bounce-window';
    };

/** Where in a delivery log a reconciliation found its evidence. */
export interface LogEvidenceRef {
  file: string;
  line: number;
  text: string;
  format: string;
}

/** What a bounce, complaint or auto-reply that came back to the return path said, and whom it is tied to. */
export interface ReportOutcome {
  reportId: string;
  kind: 'dsn' | 'arf' | 'autoreply' | 'lhost' | 'none';
  /** Tied to this message and recipient, or null when unmatched. */
  queueId: string | null;
  rcpt: string | null;
  /** True only when the tie is trustworthy (VERP signature, or a message we sent and one of its recipients). */
  verified: boolean;
  matchedBy: 'verp' | 'trace-header' | 'message-id' | null;
  /** Why a report was left unmatched (bad signature, unknown message, ...). */
  unmatchedWhy?: string;
  status: string;
  replycode: string;
  reason: Reason;
  category: Category;
  hard: boolean;
  diagnostic: string;
  decodedby: string;
  feedbacktype?: string;
  remoteMta?: string;
  /** The DSN's Reporting-MTA (the server that wrote the report). */
  reportingMta?: string;
  /** The DSN's Action field (delivered, relayed, expanded, failed, delayed). */
  action?: string;
}

/** The per-recipient view derived from events. */
export interface RecipientRecord {
  email: string;
  invalid: boolean;
  reason: Reason | null;
  category: Category | null;
  lastStatus: RecipientStatus | null;
  lastEventAt: number | null;
  lastQueueId: string | null;
  lastResponse: string | null;
  consecutiveFailures: number;
  /** Attempts made since the flag was set (shows a persistent flag). */
  attemptsSinceFlag: number;
  flaggedAt: number | null;
  deliveredCount: number;
  failedCount: number;
  /** On the suppression list (spam complaint or operator): submission refuses new mail to it. */
  suppressed: boolean;
  suppressedAt: number | null;
  suppressedReason: string | null;
  /** Failures later contradicted by delivery logs (server response mismatches). */
  reconciledCount: number;
  /** What cleared the flag last (see FlagClearedBy); absent on records never cleared. */
  clearedBy?: FlagClearedBy | null;
  clearedAt?: number | null;
  /**
   * A smarthost accepted a message for this flagged address: acceptance is not delivery, so the
   * flag stays until that message proves delivered (success DSN, reconcile) or no bounce for it
   * arrives within returnPath.bounceWindowMs.
   */
  awaiting?: { queueId: string; since: number } | null;
}

/**
 * The evidence that cleared an invalid flag: a final 250 (MX mode), a success DSN, a delivery
 * found by reconcile, no bounce within the bounce window after a smarthost accepted, or an operator.
 */
export type FlagClearedBy = 'delivery' | 'success-dsn' | 'reconcile' | 'bounce-window' | 'operator';

/** One recipient's fate inside a message. */
export interface MessageRecipient {
  rcpt: string;
  status: RecipientStatus;
  attempts: number;
  lastCode: number | null;
  lastEnhanced: string | null;
  lastResponse: string | null;
  lastMx: string | null;
  updatedAt: number;
}

export interface MessageRecord {
  queueId: string;
  messageId: string | null;
  from: string;
  user: string | null;
  clientIp: string;
  size: number;
  receivedAt: number;
  nextAttemptAt: number | null;
  rcpts: MessageRecipient[];
  /** 'queued' while any recipient is queued or deferred. */
  status: 'queued' | 'done';
}
