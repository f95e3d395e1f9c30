import type pg from 'pg';
import type { Logger } from '../../util/logger.js';
import type { RecipientEvent } from '../../types.js';

/** A NOTIFY payload must stay under 8000 bytes: larger events are announced by seq and read back. */
const INLINE_BYTES = 7_600;
const MAX_BATCH = 1_000;

/** What a notification on the events channel carries: the writer, the event's seq, and the event when it fits. */
export interface Announcement {
  n: string;
  s: number;
  e?: RecipientEvent;
}

/**
 * Announces committed events to other nodes with NOTIFY, after their COMMIT and in a transaction
 * of its own. PostgreSQL serialises the commits of every transaction that NOTIFYs (a global lock
 * held through the commit's WAL flush), so a NOTIFY inside each write would put every write of
 * every node in one line: 2,000 events/s here instead of several times that (bench/pg-store.mjs).
 * A NOTIFY-only transaction writes no WAL of its own and does not wait for a flush. Announcements
 * queued while one is being sent go out together, in the order they were queued.
 * Trade-off: a node that dies between a COMMIT and its announcement leaves that event unannounced
 * (it is stored; live listeners elsewhere miss it).
 */
export class Announcer {
  private pending: string[] = [];
  private sending: Promise<void> | null = null;

  constructor(
    private readonly pool: () => pg.Pool | null,
    private readonly channel: string,
    private readonly origin: string,
    private readonly logger: Logger,
  ) {}

  /** `seqs` are the rows' seqs in the order of `events`. */
  announce(events: RecipientEvent[], seqs: number[]): void {
    events.forEach((e, i) => {
      const a: Announcement = { n: this.origin, s: seqs[i]!, e };
      let text = JSON.stringify(a);
      if (Buffer.byteLength(text) > INLINE_BYTES) text = JSON.stringify({ n: this.origin, s: seqs[i]! } satisfies Announcement);
      this.pending.push(text);
    });
    this.sending ??= this.send();
  }

  /** Resolves once everything announced so far was sent (or given up on). */
  async idle(): Promise<void> {
    while (this.sending) await this.sending;
  }

  private async send(): Promise<void> {
    try {
      while (this.pending.length) {
        const batch = this.pending.splice(0, MAX_BATCH);
        const pool = this.pool();
        if (!pool) return;
        await pool
          .query(`SELECT count(pg_notify($1, p)) FROM (SELECT p FROM unnest($2::text[]) WITH ORDINALITY AS x(p, o) ORDER BY o) AS ordered`, [this.channel, batch])
          .catch((err: Error) => this.logger.warn({ err: err.message, events: batch.length }, 'store: could not announce events to other nodes'));
      }
    } finally {
      this.sending = null;
    }
  }
}
