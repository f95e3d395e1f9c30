import type { MessageRecord, RecipientEvent, RecipientRecord } from '../types.js';

export interface MessageFilter {
  status?: MessageRecord['status'];
  rcpt?: string;
  since?: number;
  until?: number;
  limit?: number;
  offset?: number;
  /** Any further condition. */
  where?: (m: MessageRecord) => boolean;
}

/**
 * The narrow persistence interface every stage uses. Writes are buffered and coalesced;
 * `durable()` resolves once everything written before the call is on disk.
 */
export interface Store {
  open(opts?: { readOnly?: boolean }): Promise<void>;
  close(): Promise<void>;
  durable(): Promise<void>;

  putMessage(m: MessageRecord): void;
  getMessage(queueId: string): MessageRecord | undefined;
  /** Looks a message up by its Message-ID header (without angle brackets). */
  findByMessageId(messageId: string): MessageRecord | undefined;
  /** Newest first. */
  listMessages(filter?: MessageFilter): MessageRecord[];
  /** One page of `listMessages` and how many match in all. */
  pageMessages(filter: MessageFilter): { total: number; items: MessageRecord[] };

  /** Looks the recipient up by addressKey(email): any spelling of the address finds it. */
  getRecipient(email: string): RecipientRecord | undefined;
  putRecipient(r: RecipientRecord): void;
  /** Most recently active first. Flagged and suppressed lists are indexed, so they stay cheap. */
  listRecipients(filter?: { invalid?: boolean; suppressed?: boolean; limit?: number }): RecipientRecord[];

  appendEvent(e: RecipientEvent): void;
  /** Tells the listener about every event appended from now on (live views, webhooks, metrics). Returns an unsubscribe function. */
  subscribe(listener: (e: RecipientEvent) => void): () => void;
  eventsForRecipient(email: string, limit?: number): RecipientEvent[];
  eventsForMessage(queueId: string): RecipientEvent[];
  /** Every event with `time >= since`, oldest first; the whole window, however long (read page by page). */
  eventsSince(since: number): AsyncIterable<RecipientEvent>;
  /** Whether the last journal, event log and snapshot writes succeeded (for readiness). */
  writeHealth(): WriteHealth;
}

export type WriteHealth = { ok: true } | { ok: false; cause: string; since: number };
