import type { QueryResultRow } from 'pg';
import type { MessageQueue } from '../../spool/message-queue.js';
import type { SpooledMessage, SpoolState } from '../../spool/spool.js';
import type { Envelope } from '../../types.js';
import type { Logger } from '../../util/logger.js';
import { DB_NOW } from './sql-params.js';

/**
 * What the queue needs of the database: a query that joins the caller's transaction when there is
 * one (the store's transaction() scope), and that scope itself.
 */
export interface QueueDb {
  query<R extends QueryResultRow = Record<string, unknown>>(text: string, params?: unknown[]): Promise<{ rows: R[]; rowCount: number | null }>;
  transaction<T>(fn: () => Promise<T>): Promise<T>;
}

export interface PostgresQueueOptions {
  db: QueueDb;
  nodeId: string;
  leaseMs: number;
  logger: Logger;
  /** Writes the store's record of a message just accepted; called inside the accept's transaction. */
  recordAccepted?: (envelope: Envelope) => Promise<void>;
  /** Most messages one group commit inserts (the rest wait for the next). */
  maxBatch?: number;
}

interface Pending {
  envelope: Envelope;
  raw: Buffer;
  resolve: () => void;
  reject: (err: Error) => void;
}

interface Settling {
  queueId: string;
  next: SpoolState | 'done';
  record: () => Promise<void>;
  resolve: (stillOurs: boolean) => void;
  reject: (err: Error) => void;
}

interface Row {
  queue_id: string;
  envelope: Envelope;
  state: SpoolState;
}


/**
 * The delivery queue shared by every node on one PostgreSQL database. A node holds a message while
 * its lease (node id, expiry) is current: from accept() or claim() until settle(), renewed every
 * third of leaseMs while held. A node that dies stops renewing; once its leases expire any other
 * node claims the messages (FOR UPDATE SKIP LOCKED, so two claimers never take the same row).
 * At-least-once: a node that is cut off mid-delivery for longer than leaseMs, or killed after the
 * upstream's 250 but before settle()'s COMMIT, has that delivery repeated by the next holder.
 */
export class PostgresQueue implements MessageQueue {
  readonly shared = true;
  readonly recordsAccepted: boolean;
  private readonly held = new Map<string, SpooledMessage>();
  private pending: Pending[] = [];
  private flushing: Promise<void> | null = null;
  private settling: Settling[] = [];
  private settleFlush: Promise<void> | null = null;
  private renewTimer: NodeJS.Timeout | null = null;
  private readonly maxBatch: number;
  /** Held messages whose lease was found taken over at settle() (counted duplicates). */
  lostLeases = 0;

  constructor(private readonly o: PostgresQueueOptions) {
    this.maxBatch = o.maxBatch ?? 256;
    this.recordsAccepted = !!o.recordAccepted;
  }

  async open(): Promise<SpooledMessage[]> {
    // Leases this node held before a restart are its own still: release them so any node (this one
    // included) claims them at once instead of waiting for them to expire.
    await this.o.db.query(`UPDATE delivery_queue SET lease_node = NULL, lease_until = NULL WHERE lease_node = $1`, [this.o.nodeId]);
    this.renewTimer = setInterval(() => void this.renew(), Math.max(250, Math.floor(this.o.leaseMs / 3)));
    this.renewTimer.unref();
    return [];
  }

  /** Group commit: concurrent accepts share one INSERT and one COMMIT; each resolves after it. */
  accept(envelope: Envelope, raw: Buffer): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ envelope, raw, resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  private async flush(): Promise<void> {
    try {
      while (this.pending.length) {
        const batch = this.pending.splice(0, this.maxBatch);
        try {
          await this.insert(batch);
          for (const p of batch) {
            this.held.set(p.envelope.queueId, { envelope: p.envelope, state: { done: [], attempts: {}, nextAttemptAt: p.envelope.receivedAt } });
            p.resolve();
          }
        } catch (err) {
          for (const p of batch) p.reject(err as Error);
        }
      }
    } finally {
      this.flushing = null;
    }
  }

  private async insert(batch: Pending[]): Promise<void> {
    const ids = batch.map((p) => p.envelope.queueId);
    await this.o.db.transaction(async () => {
      await this.o.db.query(
        `INSERT INTO message_bodies (queue_id, body) SELECT * FROM unnest($1::text[], $2::bytea[]) ON CONFLICT (queue_id) DO NOTHING`,
        [ids, batch.map((p) => p.raw)],
      );
      await this.o.db.query(
        `INSERT INTO delivery_queue (queue_id, envelope, state, next_attempt_at, lease_node, lease_until)
         SELECT q, e, jsonb_build_object('done', '[]'::jsonb, 'attempts', '{}'::jsonb, 'nextAttemptAt', t), t, $4, ${DB_NOW} + $5
         FROM unnest($1::text[], $2::jsonb[], $3::bigint[]) AS x(q, e, t)
         ON CONFLICT (queue_id) DO NOTHING`,
        [ids, batch.map((p) => JSON.stringify(p.envelope)), batch.map((p) => p.envelope.receivedAt), this.o.nodeId, this.o.leaseMs],
      );
      // The message records commit with the messages (the store writes them in one statement).
      if (this.o.recordAccepted) for (const p of batch) await this.o.recordAccepted(p.envelope);
    });
  }

  /**
   * Copies a message in from another queue (rebound migrate), held by no node, with its progress:
   * it is due at its own next attempt time. Resolves after the COMMIT; false if it was there already
   * (queued, or finished here: an earlier copy that a node has delivered since is not sent again).
   */
  async import(msg: SpooledMessage, raw: Buffer): Promise<boolean> {
    return this.o.db.transaction(async () => {
      await this.o.db.query(`INSERT INTO message_bodies (queue_id, body) VALUES ($1, $2) ON CONFLICT (queue_id) DO NOTHING`, [msg.envelope.queueId, raw]);
      const res = await this.o.db.query(
        `INSERT INTO delivery_queue (queue_id, envelope, state, next_attempt_at)
         SELECT $1::text, $2::jsonb, $3::jsonb, $4::bigint WHERE NOT EXISTS (SELECT 1 FROM messages WHERE queue_id = $1 AND status = 'done')
         ON CONFLICT (queue_id) DO NOTHING`,
        [msg.envelope.queueId, JSON.stringify(msg.envelope), JSON.stringify(msg.state), msg.state.nextAttemptAt || msg.envelope.receivedAt],
      );
      return (res.rowCount ?? 0) > 0;
    });
  }

  async claim(max: number, now: number): Promise<SpooledMessage[]> {
    if (max <= 0) return [];
    const { rows } = await this.o.db.query<Row>(
      `UPDATE delivery_queue q SET lease_node = $1, lease_until = ${DB_NOW} + $2
       FROM (SELECT queue_id FROM delivery_queue
             WHERE next_attempt_at <= $3 AND (lease_until IS NULL OR lease_until < ${DB_NOW})
             ORDER BY next_attempt_at LIMIT $4 FOR UPDATE SKIP LOCKED) due
       WHERE q.queue_id = due.queue_id
       RETURNING q.queue_id, q.envelope, q.state`,
      [this.o.nodeId, this.o.leaseMs, now, max],
    );
    return rows.map((r) => this.hold(r));
  }

  /** A row this node now leases, as the message it holds. */
  private hold(r: Row): SpooledMessage {
    const msg = { envelope: r.envelope, state: r.state };
    this.held.set(r.queue_id, msg);
    return msg;
  }

  /** Extends the leases of everything held; one another node took meanwhile is logged here, and settle() finds it no longer ours. */
  private async renew(): Promise<void> {
    if (this.held.size === 0) return;
    const ids = [...this.held.keys()];
    try {
      const { rows } = await this.o.db.query<{ queue_id: string }>(
        `UPDATE delivery_queue SET lease_until = ${DB_NOW} + $2 WHERE lease_node = $1 AND queue_id = ANY($3::text[]) RETURNING queue_id`,
        [this.o.nodeId, this.o.leaseMs, ids],
      );
      if (rows.length < ids.length) {
        const kept = new Set(rows.map((r) => r.queue_id));
        const lost = ids.filter((id) => !kept.has(id) && this.held.has(id));
        if (lost.length) this.o.logger.warn({ lost: lost.length, queueIds: lost.slice(0, 10) }, 'queue: leases taken over by another node (this node was too slow to renew)');
      }
    } catch (err) {
      this.o.logger.warn({ err: (err as Error).message }, 'queue: lease renewal failed; will retry');
    }
  }

  has(queueId: string): boolean {
    return this.held.has(queueId);
  }

  get(queueId: string): SpooledMessage | undefined {
    return this.held.get(queueId);
  }

  list(): SpooledMessage[] {
    return [...this.held.values()];
  }

  async listAll(): Promise<SpooledMessage[]> {
    const { rows } = await this.o.db.query<Row>(`SELECT queue_id, envelope, state FROM delivery_queue ORDER BY next_attempt_at`);
    return rows.map((r) => ({ envelope: r.envelope, state: r.state }));
  }

  async makeDue(select: (m: SpooledMessage) => boolean, now: number): Promise<number> {
    const { rows } = await this.o.db.query<Row>(`SELECT queue_id, envelope, state FROM delivery_queue WHERE lease_node IS NULL OR lease_until < ${DB_NOW}`);
    const ids = rows.filter((r) => select({ envelope: r.envelope, state: r.state })).map((r) => r.queue_id);
    if (!ids.length) return 0;
    const res = await this.o.db.query(
      `UPDATE delivery_queue SET next_attempt_at = $2 WHERE queue_id = ANY($1::text[]) AND (lease_node IS NULL OR lease_until < ${DB_NOW})`,
      [ids, now],
    );
    return res.rowCount ?? 0;
  }

  async take(queueId: string): Promise<SpooledMessage | undefined> {
    const { rows } = await this.o.db.query<Row>(
      `UPDATE delivery_queue SET lease_node = $2, lease_until = ${DB_NOW} + $3
       WHERE queue_id = $1 AND (lease_node IS NULL OR lease_until < ${DB_NOW} OR lease_node = $2)
       RETURNING queue_id, envelope, state`,
      [queueId, this.o.nodeId, this.o.leaseMs],
    );
    return rows[0] && this.hold(rows[0]);
  }

  async readRaw(queueId: string): Promise<Buffer> {
    const { rows } = await this.o.db.query<{ body: Buffer }>(`SELECT body FROM message_bodies WHERE queue_id = $1`, [queueId]);
    if (!rows[0]) throw new Error(`message ${queueId} has no stored body`);
    return rows[0].body;
  }

  /**
   * Group commit of outcomes: the settles that arrive while one transaction commits share the next
   * one. Besides saving a COMMIT each, this keeps deliveries to one address from queueing behind
   * each other's row lock (a recipient row is locked from its update until COMMIT): in one
   * transaction they follow each other at statement speed. If a shared transaction fails (a
   * deadlock with another node, a bad row), each of its settles is tried again on its own.
   */
  settle(queueId: string, next: SpoolState | 'done', record: () => Promise<void>): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.settling.push({ queueId, next, record, resolve, reject });
      this.settleFlush ??= this.flushSettles();
    });
  }

  private async flushSettles(): Promise<void> {
    try {
      while (this.settling.length) {
        const batch = this.settling.splice(0, this.maxBatch);
        let results: boolean[] | null = null;
        try {
          results = await this.o.db.transaction(() => this.settleAll(batch));
        } catch (err) {
          if (batch.length === 1) {
            batch[0]!.reject(err as Error);
            continue;
          }
          this.o.logger.warn({ err: (err as Error).message, settles: batch.length }, 'queue: a shared outcome transaction failed; writing each on its own');
        }
        for (let i = 0; i < batch.length; i++) {
          const p = batch[i]!;
          try {
            const ours = results ? results[i]! : (await this.o.db.transaction(() => this.settleAll([p])))[0]!;
            this.settled(p.queueId, ours);
            p.resolve(ours);
          } catch (err) {
            p.reject(err as Error);
          }
        }
      }
    } finally {
      this.settleFlush = null;
    }
  }

  /**
   * Outcomes inside the current transaction: the store's writes of each, then the queue rows (only
   * where still ours): the finished ones in one DELETE, the waiting ones each released with its state.
   */
  private async settleAll(batch: Settling[]): Promise<boolean[]> {
    for (const p of batch) await p.record();
    const done = batch.filter((p) => p.next === 'done').map((p) => p.queueId);
    const ours = new Set<string>();
    if (done.length) {
      const { rows } = await this.o.db.query<{ queue_id: string }>(
        `DELETE FROM delivery_queue WHERE queue_id = ANY($1::text[]) AND lease_node = $2 RETURNING queue_id`, [done, this.o.nodeId]);
      for (const r of rows) ours.add(r.queue_id);
    }
    for (const p of batch) {
      if (p.next === 'done') continue;
      const res = await this.o.db.query(
        `UPDATE delivery_queue SET state = $3, next_attempt_at = $4, lease_node = NULL, lease_until = NULL WHERE queue_id = $1 AND lease_node = $2`,
        [p.queueId, this.o.nodeId, JSON.stringify(p.next), p.next.nextAttemptAt],
      );
      if ((res.rowCount ?? 0) > 0) ours.add(p.queueId);
    }
    return batch.map((p) => ours.has(p.queueId));
  }

  private settled(queueId: string, stillOurs: boolean): void {
    this.held.delete(queueId);
    if (!stillOurs) {
      this.lostLeases++;
      this.o.logger.warn({ queueId, node: this.o.nodeId }, 'queue: lease lost before the outcome was written; the outcome is recorded, the next holder repeats the delivery');
    }
  }

  async reclaim(): Promise<void> {
    // The database frees rows itself (VACUUM); bodies go with their message records' retention.
  }

  async close(): Promise<void> {
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.renewTimer = null;
    await this.flushing;
    await this.settleFlush;
    // Hand back what this node still holds, so the other nodes take it at once.
    if (this.held.size) {
      await this.o.db.query(`UPDATE delivery_queue SET lease_node = NULL, lease_until = NULL WHERE lease_node = $1 AND queue_id = ANY($2::text[])`, [this.o.nodeId, [...this.held.keys()]]).catch(() => undefined);
    }
    this.held.clear();
  }
}
