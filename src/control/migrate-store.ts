import type { Spool } from '../spool/index.js';
import { copyStore, type CopyReport } from '../store/copy-store.js';
import type { AsyncStore } from '../store/types.js';
import type { PostgresQueue } from '../store/postgres/delivery-queue.js';

export interface MigrationReport extends CopyReport {
  /** Messages still queued in the spool, now in the shared queue (with their bodies and progress). */
  queued: number;
  /** Of those, already in the database from an earlier run. */
  queuedBefore: number;
}

/**
 * `rebound migrate --to postgres`: copies a stopped lowdb node's state into PostgreSQL: messages,
 * recipients (flags, suppressions), the events of the retention window, and the messages its spool
 * still holds. Each queued message is marked done in the spool once its COMMIT is through, so it
 * lives in exactly one queue: starting this data directory on lowdb again sends nothing twice.
 * Safe to run again after an interruption (every write is an upsert or ignores what is there).
 */
export async function migrateToPostgres(
  o: { from: AsyncStore; spool: Spool; to: AsyncStore; queue: PostgresQueue; progress?: (what: string, r: Partial<MigrationReport>) => void },
): Promise<MigrationReport> {
  const copied = await copyStore(o.from, o.to, (r) => o.progress?.('store', r));
  let queued = 0;
  let queuedBefore = 0;
  for (const m of o.spool.list()) {
    const raw = await o.spool.readRaw(m.envelope.queueId);
    if (!(await o.queue.import(m, raw))) queuedBefore++;
    await o.spool.complete(m.envelope.queueId);
    if (++queued % 1_000 === 0) o.progress?.('queue', { queued });
  }
  return { ...copied, queued, queuedBefore };
}
