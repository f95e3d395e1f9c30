// PostgresStore instances and records for the postgres store tests.
import pg from 'pg';
import { emptyRecipient } from '../../src/recipients/reduce.js';
import { PostgresStore } from '../../src/store/postgres/index.js';
import { systemClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import type { MessageRecord, RecipientEvent, RecipientRecord } from '../../src/types.js';

export function pgStore(url: string, o: { nodeId?: string; healthIntervalMs?: number; poolSize?: number } = {}): PostgresStore {
  return new PostgresStore({ url, logger: silentLogger(), clock: systemClock, nodeId: o.nodeId ?? null, ...(o.healthIntervalMs ? { healthIntervalMs: o.healthIntervalMs } : {}), ...(o.poolSize ? { poolSize: o.poolSize } : {}) });
}

/** Runs `fn` with a plain client on `url` (to look at the tables behind the store's back). */
export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Empties every table the migrations made (not schema_migrations): a fresh store, without a new database per test. */
export async function emptyDatabase(url: string): Promise<void> {
  await withClient(url, async (c) => {
    const tables = (await c.query<{ t: string }>(`SELECT quote_ident(tablename) AS t FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations'`)).rows;
    if (tables.length) await c.query(`TRUNCATE ${tables.map((r) => r.t).join(', ')} RESTART IDENTITY CASCADE`);
  });
}

export function message(queueId: string, receivedAt: number, rcpts: string[] = ['Rcpt@Example.test']): MessageRecord {
  return {
    queueId, messageId: `${queueId}@example.test`, from: 'sender@example.test', user: null, clientIp: '127.0.0.1', size: 100,
    receivedAt, nextAttemptAt: null, status: 'queued',
    rcpts: rcpts.map((rcpt) => ({ rcpt, status: 'queued', attempts: 0, lastCode: null, lastEnhanced: null, lastResponse: null, lastMx: null, updatedAt: receivedAt })),
  };
}

export function recipient(email: string, over: Partial<RecipientRecord> = {}): RecipientRecord {
  return { ...emptyRecipient(email), ...over };
}

export function flagEvent(id: string, rcpt: string, time: number, extra: Record<string, unknown> = {}): RecipientEvent {
  return { type: 'flag', id, time, rcpt, reason: null, queueId: null, by: 'operator', ...extra } as RecipientEvent;
}

export async function waitFor(what: string, cond: () => boolean, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
