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
export type IntegrationCause = 'connection' | 'timeout' | 'tls' | 'auth' | 'greeting' | 'dns' | 'protocol' | 'sender';

/** One upstream reply to one recipient in one attempt. */
export interface Attempt {
  queueId: string;
  messageId: string | null;
  rcpt: string;
  attempt: number;
  status: Exclude<RecipientStatus, 'queued'>;
  /** SMTP stage the reply answered. */
  stage: 'connect' | 'mail' | 'rcpt' | 'data' | 'expiry';
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
  | {
      type: 'flag' | 'clear';
      id: string;
      time: number;
      rcpt: string;
      reason: Reason | null;
      queueId: string | null;
      by: 'attempt' | 'report' | 'reconcile' | 'operator';
    };

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
}

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
