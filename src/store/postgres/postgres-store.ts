import { AsyncLocalStorage } from 'node:async_hooks';
import { scanPages } from '../scan-pages.js';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import pg from 'pg';
import { addressKey } from '../../util/address-key.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import type { MessageRecord, RecipientEvent, RecipientRecord } from '../../types.js';
import type { AsyncStore, MessageQuery, Page, PageRequest, RecipientChange, RecipientQuery, SubscribeOptions, WriteHealth } from '../types.js';
import { type Announcement, Announcer } from './announcer.js';
import { NotificationListener } from './listener.js';
import { checkSchema, migrate } from './migrate.js';
import { type PruneResult, prune } from './prune.js';
import { messageSql, recipientConditions, where } from './queries.js';
import { INSERT_EVENTS, INSERT_MESSAGES, INSERT_RECIPIENTS, eventsParam, messageRow, messagesParam, recipientRow, recipientsParam, stripBrackets } from './rows.js';
import { Params, decodeCursor, encodeCursor, pageLimit } from './sql-params.js';

export interface PostgresStoreOptions {
  /** postgres://user:password@host:port/database */
  url: string;
  /** Connections in the pool (the notification listener keeps one more). */
  poolSize?: number;
  /** This node's name (leases, logs); each store instance adds a random suffix for its events. */
  nodeId?: string | null;
  logger: Logger;
  clock: Clock;
  /** How often an idle store checks that the database answers (for writeHealth). */
  healthIntervalMs?: number;
  /** Events, finished messages and clean idle recipients older than this are pruned (default 30). */
  eventRetentionDays?: number;
  /** How often a node tries to prune (one node at a time does); default hourly, 0 = never. */
  pruneIntervalMs?: number;
}

/** The channel every node's events are announced on. */
const CHANNEL = 'rebound_events';
/** pg_advisory_xact_lock(class, key) class for "creating the recipient record of this address". */
const RECIPIENT_LOCK_CLASS = 0x5242;
const RETRIES = 5;
const DAY_MS = 86_400_000;
const SCAN_PAGE = 500;

interface Tx {
  client: pg.PoolClient;
  /** Events written in this transaction (with their seqs), told and announced after COMMIT. */
  events: Array<{ events: RecipientEvent[]; seqs: number[] }>;
  /** Settles with the COMMIT (rejects on a rollback): what durable() waits for of a write made inside. */
  done: Promise<void>;
  /** Writes issued inside and not finished: the COMMIT waits for them (fn may not have awaited each). */
  pending: Set<Promise<unknown>>;
  /** The first write that failed inside: the transaction is rolled back with it. */
  error?: unknown;
  /**
   * Writes made inside, held until just before the COMMIT and then written in one statement per
   * table: a group commit of many outcomes costs a few statements, not five per outcome. Reads
   * inside the transaction see them (read your own writes).
   */
  deferred: { messages: Map<string, MessageRecord>; recipients: Map<string, RecipientRecord>; events: RecipientEvent[] };
  /** Addresses whose row (or key lock) this transaction holds already. */
  locked?: Set<string>;
}

/** int8 (bigint) columns hold epoch milliseconds, counts and seqs: all well inside 2^53. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

const clone = <T>(v: T): T => structuredClone(v);

function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** serialization_failure, deadlock_detected: the database asks to run the transaction again. */
const retryable = (err: unknown): boolean => sqlState(err) === '40001' || sqlState(err) === '40P01';
/** Data and constraint errors are the caller's; anything else says the database is not taking writes. */
const databaseTrouble = (err: unknown): boolean => !/^(22|23|42)/.test(sqlState(err) ?? '');

/** 32-bit FNV-1a as a signed int4, the key of a per-address advisory lock. */
function lockKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

/**
 * The AsyncStore on PostgreSQL: shared by every node that points at the same database. Each write
 * resolves after its COMMIT; writes made inside transaction() share one client and one transaction
 * (AsyncLocalStorage finds it); events reach other nodes' subscribers through LISTEN/NOTIFY.
 */
export class PostgresStore implements AsyncStore {
  readonly engine = 'postgres' as const;
  /** Names this instance's events, so its own notifications are not told twice. */
  readonly instanceId: string;
  private pool: pg.Pool | null = null;
  private readOnly = false;
  private readonly tx = new AsyncLocalStorage<Tx>();
  private listeners: Array<{ listener: (e: RecipientEvent) => void; localOnly: boolean }> = [];
  private listener: NotificationListener | null = null;
  /** Remote events are told in notification order, even when one must be read back first. */
  private remoteChain: Promise<void> = Promise.resolve();
  /** The highest seq seen in a notification: after a reconnection, what came later is read back. */
  private lastSeq = 0;
  /** Seqs told by a catch-up read: their notification, if it comes too, is not told again. */
  private caughtUpSeqs = new Set<number>();
  private readonly inflight = new Set<Promise<unknown>>();
  private failure: { cause: string; since: number } | null = null;
  private probe: NodeJS.Timeout | null = null;
  private pruneTimer: NodeJS.Timeout | null = null;
  private readonly announcer: Announcer;

  constructor(private readonly opts: PostgresStoreOptions) {
    this.instanceId = `${opts.nodeId ?? `${os.hostname()}-${process.pid}`}/${randomUUID().slice(0, 8)}`;
    this.announcer = new Announcer(() => this.pool, CHANNEL, this.instanceId, opts.logger);
  }

  private get config(): pg.ClientConfig {
    return { connectionString: this.opts.url, application_name: `rebound ${this.instanceId}`.slice(0, 63), types };
  }

  async open(opts: { readOnly?: boolean } = {}): Promise<void> {
    this.readOnly = !!opts.readOnly;
    const pool = new pg.Pool({ ...this.config, max: this.opts.poolSize ?? 10, idleTimeoutMillis: 30_000 });
    // An idle client whose server went away emits here; the pool drops it and connects anew on demand.
    pool.on('error', (err) => this.opts.logger.warn({ err: err.message }, 'store: idle database connection lost'));
    const client = await pool.connect().catch(async (err: Error) => {
      await pool.end().catch(() => {});
      throw new Error(`store: cannot connect to PostgreSQL (${err.message}): check store.postgres.url and that the server runs`);
    });
    try {
      if (this.readOnly) await checkSchema(client);
      else {
        const r = await migrate(client);
        if (r.applied.length) this.opts.logger.info({ applied: r.applied, version: r.version }, 'store: schema migrated');
      }
    } catch (err) {
      client.release();
      await pool.end().catch(() => {});
      throw err;
    }
    client.release();
    this.pool = pool;
    this.startListening();
    const every = this.opts.healthIntervalMs ?? 5_000;
    this.probe = setInterval(() => void this.checkHealth(), every);
    this.probe.unref();
    const pruneEvery = this.opts.pruneIntervalMs ?? 3_600_000;
    if (!this.readOnly && pruneEvery > 0) {
      this.pruneTimer = setInterval(() => void this.prune().catch((err: Error) => this.opts.logger.warn({ err: err.message }, 'store: pruning failed; will try again')), pruneEvery);
      this.pruneTimer.unref();
    }
  }

  /** Deletes what lies past the retention (see prune.ts); the timer calls it, tests may too. */
  async prune(now = this.opts.clock.now()): Promise<PruneResult> {
    const r = await prune(this.db, now - (this.opts.eventRetentionDays ?? 30) * DAY_MS);
    if (r.events || r.messages || r.recipients) this.opts.logger.info(r, 'store: pruned past the retention');
    return r;
  }

  async close(): Promise<void> {
    if (!this.pool) return;
    if (this.probe) clearInterval(this.probe);
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    this.probe = null;
    this.pruneTimer = null;
    await Promise.allSettled([...this.inflight]);
    await this.announcer.idle();
    await this.listener?.stop();
    this.listener = null;
    const pool = this.pool;
    this.pool = null;
    await pool.end();
  }

  private get db(): pg.Pool {
    if (!this.pool) throw new Error('store: not open');
    return this.pool;
  }

  /** Inside transaction(), the writes of that same transaction are not waited for (they commit when it returns). */
  durable(): Promise<void> {
    const own = this.tx.getStore()?.done;
    return Promise.all([...this.inflight].filter((p) => p !== own)).then(() => undefined);
  }

  // --- transactions ------------------------------------------------------------------------------

  /** Not retried: `fn` may do more than store writes. A nested call joins the outer transaction. */
  transaction<T>(fn: () => Promise<T>): Promise<T> {
    if (this.readOnly) return Promise.reject(new Error('store: opened read-only'));
    return this.inTransaction(fn, false);
  }

  /**
   * Runs `work` in the caller's transaction if there is one, else in a new one (run again on a
   * serialization failure or deadlock when `retry`: only for work that has no effect but its queries).
   */
  private async inTransaction<T>(work: () => Promise<T>, retry: boolean): Promise<T> {
    if (this.tx.getStore()) return work();
    for (let attempt = 1; ; attempt++) {
      const client = await this.db.connect();
      // A checked-out client whose server goes away between statements emits 'error' (no query to
      // reject): without a listener that would end the process. The next statement fails instead.
      const lost = (err: Error) => this.failed(err);
      client.on('error', lost);
      let settle!: (err?: unknown) => void;
      const done = new Promise<void>((resolve, reject) => (settle = (err) => (err === undefined ? resolve() : reject(err))));
      done.catch(() => {});
      const tx: Tx = { client, events: [], done, pending: new Set(), deferred: { messages: new Map(), recipients: new Map(), events: [] } };
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await this.tx.run(tx, work);
        while (tx.pending.size) await Promise.allSettled([...tx.pending]);
        if (tx.error !== undefined) throw tx.error;
        await this.tx.run(tx, () => this.flushDeferred(tx));
        // COMMIT of a transaction that an error aborted answers ROLLBACK, not an error.
        const commit = await client.query('COMMIT');
        if (commit.command !== 'COMMIT') throw new Error('store: the transaction was rolled back by the database');
        settle();
        this.committed(tx.events);
        return result;
      } catch (err) {
        settle(err ?? new Error('transaction failed'));
        await client.query('ROLLBACK').catch((e: Error) => (broken = e));
        if (retry && retryable(err) && attempt < RETRIES) continue;
        throw err;
      } finally {
        client.off('error', lost);
        client.release(broken);
      }
    }
  }

  /** The client of the transaction this call runs in, or the pool (each statement its own transaction). */
  private get queryable(): pg.Pool | pg.PoolClient {
    return this.tx.getStore()?.client ?? this.db;
  }

  /**
   * Every write goes through here: refused on a read-only store, tracked for durable(), and its
   * outcome feeds writeHealth. Inside transaction() the promise resolves when the statement ran;
   * the COMMIT is the transaction's.
   */
  private write<T>(run: () => Promise<T>): Promise<T> {
    if (this.readOnly) return Promise.reject(new Error('store: opened read-only'));
    const tx = this.tx.getStore();
    const p = run().then(
      (v) => {
        this.failure = null;
        return v;
      },
      (err: unknown) => {
        if (databaseTrouble(err)) this.failed(err);
        if (tx) tx.error ??= err;
        throw err;
      },
    );
    if (tx) {
      tx.pending.add(p);
      void p.catch(() => {}).then(() => tx.pending.delete(p));
    }
    // Callers may issue writes and await only durable(): a failure must not go unhandled meanwhile.
    const tracked = tx ? tx.done : p;
    if (!this.inflight.has(tracked)) {
      this.inflight.add(tracked);
      void tracked.catch(() => {}).then(() => this.inflight.delete(tracked));
    }
    return p;
  }

  /**
   * A statement on the other tables this database holds for the node (the delivery queue,
   * connection slots). It joins the caller's transaction like every store write, so the queue can
   * release a lease in the same COMMIT as the delivery's outcome.
   */
  query<R extends pg.QueryResultRow = Record<string, unknown>>(text: string, params?: unknown[]): Promise<{ rows: R[]; rowCount: number | null }> {
    if (this.readOnly && /^\s*SELECT\b/i.test(text)) return this.queryable.query<R>(text, params);
    return this.write(() => this.queryable.query<R>(text, params));
  }

  private failed(err: unknown): void {
    this.failure = { cause: `database write failed: ${(err as Error).message}`, since: this.failure?.since ?? this.opts.clock.now() };
  }

  /**
   * Readiness without traffic: a healthy store checks that the database answers; after a failed
   * write it tries a small real write, since a node that reports not ready may get no other write
   * to prove itself with (a load balancer stops sending it work).
   */
  private async checkHealth(): Promise<void> {
    try {
      if (this.failure && !this.readOnly) {
        await this.db.query('INSERT INTO store_probes (node, at) VALUES ($1, $2) ON CONFLICT (node) DO UPDATE SET at = EXCLUDED.at', [this.instanceId, this.opts.clock.now()]);
      } else await this.db.query('SELECT 1');
      this.failure = null;
    } catch (err) {
      if (!this.failure) this.failure = { cause: `database unreachable: ${(err as Error).message}`, since: this.opts.clock.now() };
    }
  }

  writeHealth(): WriteHealth {
    return this.failure ? { ok: false, ...this.failure } : { ok: true };
  }

  // --- messages ----------------------------------------------------------------------------------

  putMessage(m: MessageRecord): Promise<void> {
    const tx = this.tx.getStore();
    if (tx && !this.readOnly) {
      tx.deferred.messages.set(m.queueId, clone(m));
      return Promise.resolve();
    }
    const r = messageRow(m);
    return this.write(async () => {
      await this.queryable.query(
        `INSERT INTO messages (queue_id, message_id, received_at, status, rcpt_keys, rcpt_statuses, rcpt_key_status, record)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (queue_id) DO UPDATE SET message_id = EXCLUDED.message_id, received_at = EXCLUDED.received_at,
           status = EXCLUDED.status, rcpt_keys = EXCLUDED.rcpt_keys, rcpt_statuses = EXCLUDED.rcpt_statuses,
           rcpt_key_status = EXCLUDED.rcpt_key_status, record = EXCLUDED.record`,
        [r.queue_id, r.message_id, r.received_at, r.status, r.rcpt_keys, r.rcpt_statuses, r.rcpt_key_status, r.record],
      );
    });
  }

  async getMessage(queueId: string): Promise<MessageRecord | undefined> {
    const own = this.tx.getStore()?.deferred.messages.get(queueId);
    if (own) return clone(own);
    const r = await this.queryable.query<{ record: MessageRecord }>('SELECT record FROM messages WHERE queue_id = $1', [queueId]);
    return r.rows[0]?.record;
  }

  async findByMessageId(messageId: string): Promise<MessageRecord | undefined> {
    const r = await this.queryable.query<{ record: MessageRecord }>(
      'SELECT record FROM messages WHERE message_id = $1 ORDER BY received_at DESC, queue_id DESC LIMIT 1',
      [stripBrackets(messageId)],
    );
    return r.rows[0]?.record;
  }

  async pageMessages(q: MessageQuery, page: PageRequest): Promise<Page<MessageRecord>> {
    const limit = pageLimit(page.limit);
    const p = new Params();
    const sql = messageSql(q, p);
    const c = sql.conditions;
    if (page.cursor) {
      const [at, id] = decodeCursor(page.cursor);
      c.push(`(d.received_at, d.queue_id) < (${p.add(at)}, ${p.add(id)})`);
    }
    const [r, total] = await Promise.all([
      this.queryable.query<{ record: MessageRecord }>(
        `SELECT ${sql.distinct ? 'DISTINCT ON (d.received_at, d.queue_id) ' : ''}${sql.m}.record FROM ${sql.from} ${where(c)}
          ORDER BY d.received_at DESC, d.queue_id DESC LIMIT ${limit + 1}`,
        p.values,
      ),
      page.withTotal ? this.countMessages(q) : undefined,
    ]);
    const items = r.rows.slice(0, limit).map((row) => row.record);
    const last = items[items.length - 1];
    const next = r.rows.length > limit && last ? encodeCursor([last.receivedAt, last.queueId]) : null;
    return total === undefined ? { items, next } : { items, next, total };
  }

  async countMessages(q: MessageQuery): Promise<number> {
    const p = new Params();
    const sql = messageSql(q, p);
    const r = await this.queryable.query<{ n: number }>(
      `SELECT count(${sql.distinct ? 'DISTINCT d.queue_id' : '*'}) AS n FROM ${sql.from} ${where(sql.conditions)}`, p.values);
    return r.rows[0]!.n;
  }

  scanMessages(q: MessageQuery): AsyncGenerator<MessageRecord, void, undefined> {
    return scanPages((req) => this.pageMessages(q, req), SCAN_PAGE);
  }

  async countMessagesByBucket(q: { since: number; until: number; origin: number; bucketMs: number }): Promise<Map<number, number>> {
    const r = await this.queryable.query<{ k: number; n: number }>(
      `SELECT floor((received_at - $3::bigint)::float8 / $4::float8)::bigint AS k, count(*) AS n
         FROM messages WHERE received_at >= $1 AND received_at < $2 GROUP BY 1`,
      [q.since, q.until, q.origin, q.bucketMs],
    );
    return new Map(r.rows.map((row) => [row.k, row.n]));
  }

  // --- recipients --------------------------------------------------------------------------------

  async getRecipient(email: string): Promise<RecipientRecord | undefined> {
    const own = this.tx.getStore()?.deferred.recipients.get(addressKey(email));
    if (own) return clone(own);
    const r = await this.queryable.query<{ record: RecipientRecord }>('SELECT record FROM recipients WHERE addr_key = $1', [addressKey(email)]);
    return r.rows[0]?.record;
  }

  async getRecipients(emails: string[]): Promise<Map<string, RecipientRecord>> {
    const keys = [...new Set(emails.map(addressKey))];
    const out = new Map<string, RecipientRecord>();
    if (!keys.length) return out;
    const r = await this.queryable.query<{ addr_key: string; record: RecipientRecord }>('SELECT addr_key, record FROM recipients WHERE addr_key = ANY($1::text[])', [keys]);
    for (const row of r.rows) out.set(row.addr_key, row.record);
    return out;
  }

  putRecipient(rec: RecipientRecord): Promise<void> {
    const tx = this.tx.getStore();
    if (tx && !this.readOnly) {
      tx.deferred.recipients.set(addressKey(rec.email), clone(rec));
      return Promise.resolve();
    }
    return this.write(async () => {
      await this.upsertRecipient(this.queryable, rec);
    });
  }

  private async upsertRecipient(c: pg.Pool | pg.PoolClient, rec: RecipientRecord): Promise<void> {
    const r = recipientRow(rec);
    await c.query(
      `INSERT INTO recipients (addr_key, invalid, suppressed, reason, category, flagged_at, suppressed_at, suppressed_reason, active_at, record)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (addr_key) DO UPDATE SET invalid = EXCLUDED.invalid, suppressed = EXCLUDED.suppressed, reason = EXCLUDED.reason,
         category = EXCLUDED.category, flagged_at = EXCLUDED.flagged_at, suppressed_at = EXCLUDED.suppressed_at,
         suppressed_reason = EXCLUDED.suppressed_reason, active_at = EXCLUDED.active_at, record = EXCLUDED.record`,
      [r.addr_key, r.invalid, r.suppressed, r.reason, r.category, r.flagged_at, r.suppressed_at, r.suppressed_reason, r.active_at, r.record],
    );
  }

  updateRecipient(email: string, change: (prev: RecipientRecord | undefined) => RecipientChange): Promise<RecipientRecord | undefined> {
    const key = addressKey(email);
    return this.write(() =>
      this.inTransaction(async () => {
        const tx = this.tx.getStore()!;
        const c = tx.client;
        // Locked (and maybe changed) earlier in this transaction: that is the current record.
        let prev = tx.deferred.recipients.get(key);
        if (!prev && !tx.locked?.has(key)) {
          const read = () => c.query<{ record: RecipientRecord }>('SELECT record FROM recipients WHERE addr_key = $1 FOR UPDATE', [key]);
          let r = await read();
          if (!r.rows.length) {
            // No row to lock yet: two first updates of one address queue on a lock of its key instead.
            await c.query('SELECT pg_advisory_xact_lock($1, $2)', [RECIPIENT_LOCK_CLASS, lockKey(key)]);
            r = await read();
          }
          prev = r.rows[0]?.record;
          (tx.locked ??= new Set()).add(key);
        }
        const out = change(prev === undefined ? undefined : clone(prev));
        if (out.record) {
          if (addressKey(out.record.email) !== key) throw new Error(`updateRecipient(${email}): the change returned the record of ${out.record.email}`);
          tx.deferred.recipients.set(key, clone(out.record));
        }
        if (out.events?.length) tx.deferred.events.push(...out.events.map(clone));
        return out.record ? clone(out.record) : prev === undefined ? undefined : clone(prev);
      }, true),
    );
  }

  async pageRecipients(q: RecipientQuery, page: PageRequest): Promise<Page<RecipientRecord>> {
    const limit = pageLimit(page.limit);
    const p = new Params();
    const c = recipientConditions(q, p);
    if (page.cursor) {
      const [at, key] = decodeCursor(page.cursor);
      c.push(`(r.active_at, r.addr_key) < (${p.add(at)}, ${p.add(key)})`);
    }
    const [r, total] = await Promise.all([
      this.queryable.query<{ record: RecipientRecord; active_at: number; addr_key: string }>(
        `SELECT r.record, r.active_at, r.addr_key FROM recipients r ${where(c)} ORDER BY r.active_at DESC, r.addr_key DESC LIMIT ${limit + 1}`,
        p.values,
      ),
      page.withTotal ? this.countRecipients(q) : undefined,
    ]);
    const rows = r.rows.slice(0, limit);
    const last = rows[rows.length - 1];
    const next = r.rows.length > limit && last ? encodeCursor([last.active_at, last.addr_key]) : null;
    const items = rows.map((row) => row.record);
    return total === undefined ? { items, next } : { items, next, total };
  }

  async countRecipients(q: RecipientQuery): Promise<number> {
    const p = new Params();
    const r = await this.queryable.query<{ n: number }>(`SELECT count(*) AS n FROM recipients r ${where(recipientConditions(q, p))}`, p.values);
    return r.rows[0]!.n;
  }

  scanRecipients(q: RecipientQuery): AsyncGenerator<RecipientRecord, void, undefined> {
    return scanPages((req) => this.pageRecipients(q, req), SCAN_PAGE);
  }

  // --- events ------------------------------------------------------------------------------------

  appendEvents(events: RecipientEvent[]): Promise<void> {
    if (!events.length) return Promise.resolve();
    const tx = this.tx.getStore();
    if (tx && !this.readOnly) {
      tx.deferred.events.push(...events.map(clone));
      return Promise.resolve();
    }
    return this.write(() => this.insertEvents(events));
  }

  /** The transaction's held writes, one statement per table, just before its COMMIT. */
  private async flushDeferred(tx: Tx): Promise<void> {
    const d = tx.deferred;
    if (d.recipients.size) {
      await tx.client.query(
        `${INSERT_RECIPIENTS}
         ON CONFLICT (addr_key) DO UPDATE SET invalid = EXCLUDED.invalid, suppressed = EXCLUDED.suppressed, reason = EXCLUDED.reason,
           category = EXCLUDED.category, flagged_at = EXCLUDED.flagged_at, suppressed_at = EXCLUDED.suppressed_at,
           suppressed_reason = EXCLUDED.suppressed_reason, active_at = EXCLUDED.active_at, record = EXCLUDED.record`,
        [recipientsParam([...d.recipients.values()])],
      );
    }
    if (d.messages.size) {
      await tx.client.query(
        `${INSERT_MESSAGES}
         ON CONFLICT (queue_id) DO UPDATE SET message_id = EXCLUDED.message_id, received_at = EXCLUDED.received_at,
           status = EXCLUDED.status, rcpt_keys = EXCLUDED.rcpt_keys, rcpt_statuses = EXCLUDED.rcpt_statuses,
           rcpt_key_status = EXCLUDED.rcpt_key_status, record = EXCLUDED.record`,
        [messagesParam([...d.messages.values()])],
      );
    }
    if (d.events.length) await this.insertEvents(d.events);
    d.recipients.clear();
    d.messages.clear();
    d.events = [];
  }

  /**
   * One statement for the rows. Local listeners hear after the COMMIT; other nodes through the
   * announcer's NOTIFY after it (never of an event that was rolled back).
   */
  private async insertEvents(events: RecipientEvent[]): Promise<void> {
    const tx = this.tx.getStore();
    const r = await this.queryable.query<{ id: string; seq: number }>(INSERT_EVENTS, [eventsParam(events), this.instanceId]);
    // An event stored before (same id) is not stored or told again. Seqs are drawn in insertion
    // order: sorted, they line up with the events that were new.
    const fresh = new Set(r.rows.map((row) => row.id));
    const added = fresh.size === events.length ? events : events.filter((e) => fresh.has(e.id));
    const seqs = r.rows.map((row) => row.seq).sort((x, y) => x - y);
    if (tx) tx.events.push({ events: added, seqs });
    else this.committed([{ events: added, seqs }]);
  }

  /** After a COMMIT: local listeners now, other nodes by NOTIFY. */
  private committed(batches: Array<{ events: RecipientEvent[]; seqs: number[] }>): void {
    for (const b of batches) {
      this.tell(b.events);
      this.announcer.announce(b.events, b.seqs);
    }
  }

  /** Tells the listeners (copies: a listener that changes its event changes nothing else). */
  private tell(events: RecipientEvent[], remote = false): void {
    for (const e of events) {
      for (const { listener: l, localOnly } of this.listeners) {
        if (remote && localOnly) continue;
        try {
          l(clone(e));
        } catch (err) {
          this.opts.logger.error({ err: (err as Error).message }, 'store: event listener failed');
        }
      }
    }
  }

  subscribe(listener: (e: RecipientEvent) => void, opts: SubscribeOptions = {}): () => void {
    const entry = { listener, localOnly: !!opts.localOnly };
    this.listeners.push(entry);
    this.startListening();
    return () => {
      this.listeners = this.listeners.filter((l) => l !== entry);
    };
  }

  /** The notification connection opens with the first subscriber (or at open(), if one came before). */
  private startListening(): void {
    if (this.listener || !this.pool || !this.listeners.some((l) => !l.localOnly)) return;
    this.listener = new NotificationListener(this.config, CHANNEL, (payload) => this.heard(payload), () => this.caughtUp(), this.opts.logger);
    void this.listener.start();
  }

  /** Resolves once other nodes' events reach this store's listeners (LISTEN is in place). */
  async listening(): Promise<void> {
    await this.listener?.start();
  }

  private heard(payload: string): void {
    let n: Announcement;
    try {
      n = JSON.parse(payload) as Announcement;
    } catch {
      return;
    }
    this.lastSeq = Math.max(this.lastSeq, n.s);
    if (n.n === this.instanceId) return;
    this.remoteChain = this.remoteChain.then(async () => {
      if (this.caughtUpSeqs.delete(n.s)) return;
      const e = n.e ?? (await this.eventBySeq(n.s));
      if (e) this.tell([e], true);
    }).catch((err: Error) => this.opts.logger.warn({ err: err.message, seq: n.s }, 'store: could not read an announced event'));
  }

  private async eventBySeq(seq: number): Promise<RecipientEvent | undefined> {
    const r = await this.db.query<{ payload: RecipientEvent }>('SELECT payload FROM events WHERE seq = $1', [seq]);
    return r.rows[0]?.payload;
  }

  /**
   * After the notification connection came back: other nodes' events written while it was away
   * are read back by seq (an event whose seq was taken before the last one heard but committed
   * later is not: a short window around a reconnection).
   */
  private caughtUp(): void {
    this.remoteChain = this.remoteChain.then(async () => {
      if (!this.lastSeq) return;
      for (;;) {
        const r = await this.db.query<{ seq: number; payload: RecipientEvent }>(
          'SELECT seq, payload FROM events WHERE seq > $1 AND node <> $2 ORDER BY seq LIMIT 1000', [this.lastSeq, this.instanceId]);
        if (this.caughtUpSeqs.size > 100_000) this.caughtUpSeqs.clear();
        for (const row of r.rows) {
          this.lastSeq = Math.max(this.lastSeq, row.seq);
          this.caughtUpSeqs.add(row.seq);
          this.tell([row.payload], true);
        }
        if (r.rows.length < 1000) return;
      }
    }).catch((err: Error) => this.opts.logger.warn({ err: err.message }, 'store: could not catch up on events after reconnecting'));
  }

  async eventsForRecipient(email: string, limit = 100): Promise<RecipientEvent[]> {
    const n = Math.max(0, Math.floor(limit));
    const r = await this.queryable.query<{ payload: RecipientEvent }>(
      `SELECT payload FROM (
         (SELECT seq, payload FROM events WHERE rcpt_key = $1 ORDER BY seq DESC LIMIT $2)
         UNION ALL
         (SELECT seq, payload FROM events WHERE rcpt_keys @> ARRAY[$1::text] AND rcpt_keys IS NOT NULL ORDER BY seq DESC LIMIT $2)
       ) AS both_kinds ORDER BY seq DESC LIMIT $2`,
      [addressKey(email), n],
    );
    return r.rows.map((row) => row.payload).reverse();
  }

  async eventsForMessages(queueIds: string[]): Promise<Map<string, RecipientEvent[]>> {
    const out = new Map<string, RecipientEvent[]>(queueIds.map((id) => [id, []]));
    if (!queueIds.length) return out;
    const r = await this.queryable.query<{ queue_id: string; payload: RecipientEvent }>(
      'SELECT queue_id, payload FROM events WHERE queue_id = ANY($1::text[]) ORDER BY seq', [[...new Set(queueIds)]]);
    for (const row of r.rows) out.get(row.queue_id)?.push(row.payload);
    return out;
  }

  async eventsForMessage(queueId: string): Promise<RecipientEvent[]> {
    const r = await this.queryable.query<{ payload: RecipientEvent }>('SELECT payload FROM events WHERE queue_id = $1 ORDER BY seq', [queueId]);
    return r.rows.map((row) => row.payload);
  }

  async *eventsSince(since: number): AsyncGenerator<RecipientEvent, void, undefined> {
    let at: [number, number] | null = null;
    for (;;) {
      const r: pg.QueryResult<{ time: number; seq: number; payload: RecipientEvent }> = at
        ? await this.db.query('SELECT time, seq, payload FROM events WHERE (time, seq) > ($1, $2) ORDER BY time, seq LIMIT $3', [at[0], at[1], SCAN_PAGE])
        : await this.db.query('SELECT time, seq, payload FROM events WHERE time >= $1 ORDER BY time, seq LIMIT $2', [since, SCAN_PAGE]);
      for (const row of r.rows) yield row.payload;
      if (r.rows.length < SCAN_PAGE) return;
      const last = r.rows[r.rows.length - 1]!;
      at = [last.time, last.seq];
    }
  }
}
