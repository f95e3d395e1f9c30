import type { Envelope } from '../types.js';
import type { SpooledMessage, SpoolState } from './spool.js';

/**
 * The delivery queue as the engine sees it. Two implementations: the local spool (one node; every
 * queued message is this node's) and the PostgreSQL queue (several nodes; a message is this
 * node's while it holds the lease it claimed, and any node may take a due message nobody holds).
 */
export interface MessageQueue {
  /** True when other nodes share the queue: the engine then claims due messages instead of scheduling all of them. */
  readonly shared: boolean;
  /** The queue writes a new message's store record in the same commit as the message itself. */
  readonly recordsAccepted?: boolean;
  /** Unfinished messages this node holds at start-up (the spool: all of them; shared: none, they come by claim). */
  open(): Promise<SpooledMessage[]>;
  /** Stores a new message, held by this node; resolves once durable, which is when submission may say 250. */
  accept(envelope: Envelope, raw: Buffer): Promise<void>;
  /** Due messages nobody holds, now held by this node (at most `max`); the spool returns none. */
  claim(max: number, now: number): Promise<SpooledMessage[]>;
  /** Whether this node holds the message. */
  has(queueId: string): boolean;
  get(queueId: string): SpooledMessage | undefined;
  /** The messages this node holds. */
  list(): SpooledMessage[];
  /** Every queued message, whichever node holds it (the queue view). */
  listAll(): Promise<SpooledMessage[]>;
  readRaw(queueId: string): Promise<Buffer>;
  /**
   * Writes a delivery's outcome: `record` makes the store writes (attempts, recipients, message
   * record), then the message's next state: a new state to wait for its next attempt, or 'done'.
   * The spool makes the store durable first and writes its state after (a crash repeats work,
   * never skips it); PostgreSQL does both in one transaction. Returns false when this node no
   * longer held the message (its lease expired and another node took it): the outcome is still
   * recorded, the queue state is the other node's.
   */
  settle(queueId: string, next: SpoolState | 'done', record: () => Promise<void>): Promise<boolean>;
  /** Shared queue: makes the unheld messages `select` picks due now; returns how many. */
  makeDue(select: (m: SpooledMessage) => boolean, now: number): Promise<number>;
  /** Shared queue: takes one message nobody holds, due or not (an operator's delete). */
  take(queueId: string): Promise<SpooledMessage | undefined>;
  /** Frees space of finished messages now and then (the spool's cleaning). */
  reclaim(): Promise<unknown>;
  close(): Promise<void>;
}
