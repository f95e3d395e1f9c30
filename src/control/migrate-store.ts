import type { RetainedMessages, Spool } from '../spool/index.js';
import { copyStore, type CopyCount, type CopyReport } from '../store/copy-store.js';
import type { AsyncStore } from '../store/types.js';
import type { PostgresCopyTarget } from '../store/postgres/copy-target.js';
import type { PostgresQueue } from '../store/postgres/delivery-queue.js';

export interface MigrationReport extends CopyReport {
  /** Messages the spool still held, now in the shared queue with their bodies and progress (added: new there). */
  queued: CopyCount;
  /** Copies of finished messages kept for resend, now bodies of their message records. */
  retained: CopyCount;
}

/** Queued messages moved side by side. */
const QUEUE_BATCH = 32;

export type MigrationProgress = (stage: 'store' | 'queue' | 'retained', r: MigrationReport) => void;

/**
 * `rebound migrate --to postgres`: copies a stopped lowdb node's state into PostgreSQL: messages,
 * recipients (flags, suppressions), the events it keeps, the messages its spool still holds, and
 * the copies it keeps for resend. Each queued message is marked done in the spool once its COMMIT
 * is through, so it lives in exactly one queue: starting this data directory on lowdb again sends
 * nothing twice. Safe to run again after an interruption: what the database holds already is left
 * as it is (a node may have delivered it or changed it since) and counted as present.
 */
export async function migrateToPostgres(
  o: { from: AsyncStore; spool: Spool; retained: RetainedMessages; to: PostgresCopyTarget; queue: PostgresQueue; progress?: MigrationProgress },
): Promise<MigrationReport> {
  const report: MigrationReport = {
    messages: { read: 0, added: 0 }, recipients: { read: 0, added: 0 }, flagged: { read: 0, added: 0 }, suppressed: { read: 0, added: 0 },
    events: { read: 0, added: 0 }, eventSpan: null, queued: { read: 0, added: 0 }, retained: { read: 0, added: 0 },
  };
  // Message records first: the queue rows and bodies below look at them.
  Object.assign(report, await copyStore(o.from, o.to, (r) => o.progress?.('store', Object.assign(report, r))));
  // A few at a time: the spool's Done records then share their syncs (group commit).
  const spooled = o.spool.list();
  for (let i = 0; i < spooled.length; i += QUEUE_BATCH) {
    await Promise.all(spooled.slice(i, i + QUEUE_BATCH).map(async (m) => {
      const raw = await o.spool.readRaw(m.envelope.queueId);
      const added = await o.queue.import(m, raw);
      await o.spool.complete(m.envelope.queueId);
      report.queued.read++;
      if (added) report.queued.added++;
    }));
    o.progress?.('queue', report);
  }
  for (const queueId of await o.retained.ids()) {
    const raw = await o.retained.get(queueId);
    if (!raw) continue;
    report.retained.read++;
    if (await o.to.addBody(queueId, raw)) report.retained.added++;
    if (report.retained.read % 1_000 === 0) o.progress?.('retained', report);
  }
  return report;
}
