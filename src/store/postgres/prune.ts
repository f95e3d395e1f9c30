import type pg from 'pg';

/** Held by the node that prunes, so nodes do not delete the same rows side by side. */
const PRUNE_LOCK = 0x5245_424f_554e_4402n;
/** Rows per DELETE: short statements, so pruning never holds locks or a snapshot for long. */
const BATCH = 5_000;

export interface PruneResult {
  events: number;
  messages: number;
  recipients: number;
  /** False when another node was pruning (this one left it to that node). */
  ran: boolean;
}

/**
 * Deletes what the retention no longer keeps, as the embedded store does: events older than the
 * cutoff, finished messages received before it (with any body left), and recipient records that
 * tell nothing a missing record does not (no flag, no suppression, no awaited message, last active
 * before the cutoff). Page by page; returns how many rows of each went.
 */
export async function prune(pool: pg.Pool, cutoff: number): Promise<PruneResult> {
  const client = await pool.connect();
  try {
    const locked = (await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [PRUNE_LOCK.toString()])).rows[0]?.ok;
    if (!locked) return { events: 0, messages: 0, recipients: 0, ran: false };
    try {
      const loop = async (sql: string): Promise<number> => {
        let total = 0;
        for (;;) {
          const r = await client.query(sql, [cutoff, BATCH]);
          total += r.rowCount ?? 0;
          if ((r.rowCount ?? 0) < BATCH) return total;
        }
      };
      const events = await loop(`DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE time < $1 ORDER BY time, seq LIMIT $2)`);
      const messages = await loop(`WITH gone AS (
          DELETE FROM messages WHERE queue_id IN (SELECT queue_id FROM messages WHERE received_at < $1 AND status = 'done' LIMIT $2) RETURNING queue_id)
        , bodies AS (DELETE FROM message_bodies b USING gone WHERE b.queue_id = gone.queue_id)
        SELECT 1 FROM gone`);
      const recipients = await loop(`DELETE FROM recipients WHERE addr_key IN (
          SELECT addr_key FROM recipients
           WHERE active_at < $1 AND NOT invalid AND NOT suppressed
             AND jsonb_typeof(record->'lastEventAt') = 'number'
             AND coalesce(jsonb_typeof(record->'awaiting'), 'null') = 'null'
           LIMIT $2)`);
      await client.query('DELETE FROM store_probes WHERE at < $1', [cutoff]);
      return { events, messages, recipients, ran: true };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [PRUNE_LOCK.toString()]).catch(() => {});
    }
  } finally {
    client.release();
  }
}
