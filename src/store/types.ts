import type { Category, Reason } from '../classify/types.js';
import type { MessageRecord, RecipientEvent, RecipientRecord, RecipientStatus } from '../types.js';

export type WriteHealth = { ok: true } | { ok: false; cause: string; since: number };

// ---------------------------------------------------------------------------------------------
// The store a database can implement (issue 12): every stage reads and writes through it (as
// `Store`); `store/lowdb/` and `store/postgres/` implement it and pass one contract suite
// (test/store/contract.ts). Nothing outside src/store/ knows which backend runs.
//
// Rules every backend keeps:
// - Reads return values, never live references: changing what a read returned changes nothing.
// - Addresses are looked up by addressKey(): any spelling finds the record.
// - A write's promise resolves once the write is durable (PostgreSQL: after its COMMIT; lowdb:
//   after the journal's group commit). `durable()` resolves once every write issued before the
//   call is durable, so a caller may issue several writes and await once.
// - Filters are data, not functions, so a database can answer them with an index.
// - Lists are newest first and paged by an opaque cursor; `total` is counted only when asked.
// ---------------------------------------------------------------------------------------------

/** What a message list can be filtered by. Every field narrows; all are optional. */
export interface MessageQuery {
  status?: MessageRecord['status'];
  /** A recipient of the message, any spelling. */
  rcpt?: string;
  /** Some recipient (the `rcpt` one, if given) is in this state now. */
  rcptStatus?: RecipientStatus;
  /** Some recipient (the `rcpt` one, if given) failed with this reason / category (from its events). */
  failedReason?: Reason;
  failedCategory?: Category;
  /** receivedAt >= since */
  since?: number;
  /** receivedAt < until */
  until?: number;
}

export interface RecipientQuery {
  invalid?: boolean;
  suppressed?: boolean;
  category?: Category;
  /** The recipient record's address starts with this (after addressKey). */
  prefix?: string;
}

export interface PageRequest {
  /** At most this many items (backends cap it at 1000). */
  limit: number;
  /** From `Page.next` of the previous page; absent for the first page. */
  cursor?: string | null;
  /** Count every match as well (costs a second query on a database). */
  withTotal?: boolean;
}

export interface Page<T> {
  items: T[];
  /** Cursor of the next page, or null when this was the last. */
  next: string | null;
  /** Only when `withTotal` was asked. */
  total?: number;
}

/** What one atomic recipient update returns: the new record (null: leave it as it is) and the events it causes. */
export interface RecipientChange {
  record: RecipientRecord | null;
  events?: RecipientEvent[];
}

export interface SubscribeOptions {
  /**
   * Only the events this node wrote (default: every node's). What must happen once across the
   * nodes (webhooks, counters each node exports) listens to its own events only.
   */
  localOnly?: boolean;
}

export interface AsyncStore {
  /** Which backend this is (shown by /readyz and `rebound status`). */
  readonly engine: 'lowdb' | 'postgres';
  open(opts?: { readOnly?: boolean }): Promise<void>;
  close(): Promise<void>;
  /** Resolves once every write issued before the call is durable. */
  durable(): Promise<void>;
  /**
   * Runs `fn` so that every write the store gets inside it (from this async context) commits
   * together or not at all: one PostgreSQL transaction; on lowdb, one journal batch. The outcome
   * of a delivery and the release of its queue lease are written this way.
   */
  transaction<T>(fn: () => Promise<T>): Promise<T>;

  putMessage(m: MessageRecord): Promise<void>;
  getMessage(queueId: string): Promise<MessageRecord | undefined>;
  /** By its Message-ID header (without angle brackets); the newest such message. */
  findByMessageId(messageId: string): Promise<MessageRecord | undefined>;
  pageMessages(q: MessageQuery, page: PageRequest): Promise<Page<MessageRecord>>;
  countMessages(q: MessageQuery): Promise<number>;
  /** Every matching message, newest first, read page by page (for exports and scans). */
  scanMessages(q: MessageQuery): AsyncIterable<MessageRecord>;
  /**
   * Messages received in [since, until), counted per bucket: bucket k covers
   * [origin + k*bucketMs, origin + (k+1)*bucketMs). Returns bucket index -> count.
   */
  countMessagesByBucket(q: { since: number; until: number; origin: number; bucketMs: number }): Promise<Map<number, number>>;

  getRecipient(email: string): Promise<RecipientRecord | undefined>;
  /** getRecipient of several addresses at once, keyed by addressKey (absent: no record). */
  getRecipients(emails: string[]): Promise<Map<string, RecipientRecord>>;
  /** Overwrites the whole record (an operator action, a migration). Prefer updateRecipient. */
  putRecipient(r: RecipientRecord): Promise<void>;
  /**
   * The one way to change a recipient from what happened to it: `change` gets the current record
   * (undefined if none) and returns the new one and the events it causes; both are written
   * atomically, and no other update of the same address runs in between (PostgreSQL: SELECT ...
   * FOR UPDATE in one transaction). `change` must be pure and synchronous: it may run again if the
   * database asks for a retry. Resolves to the record as written (or as it was, if unchanged).
   */
  updateRecipient(email: string, change: (prev: RecipientRecord | undefined) => RecipientChange): Promise<RecipientRecord | undefined>;
  /** Most recently active first. */
  pageRecipients(q: RecipientQuery, page: PageRequest): Promise<Page<RecipientRecord>>;
  countRecipients(q: RecipientQuery): Promise<number>;
  /** Every matching recipient, read page by page (flagged lists can be large after a configuration fault). */
  scanRecipients(q: RecipientQuery): AsyncIterable<RecipientRecord>;

  appendEvents(events: RecipientEvent[]): Promise<void>;
  /**
   * Tells the listener about every event appended from now on. On PostgreSQL this includes other
   * nodes' events (LISTEN/NOTIFY), at most a few hundred ms late. Returns an unsubscribe function.
   */
  subscribe(listener: (e: RecipientEvent) => void, opts?: SubscribeOptions): () => void;
  /** The recipient's newest events, newest last (as today), at most `limit` (default 100). */
  eventsForRecipient(email: string, limit?: number): Promise<RecipientEvent[]>;
  /** The message's events, oldest first. */
  eventsForMessage(queueId: string): Promise<RecipientEvent[]>;
  /** eventsForMessage of several messages at once (one query on a database, for list pages). */
  eventsForMessages(queueIds: string[]): Promise<Map<string, RecipientEvent[]>>;
  /** Every event with `time >= since`, oldest first; the whole window, however long (read page by page). */
  eventsSince(since: number): AsyncIterable<RecipientEvent>;
  /** Whether the last writes succeeded (for readiness). */
  writeHealth(): WriteHealth;
}

/** The store every stage uses. */
export type Store = AsyncStore;
