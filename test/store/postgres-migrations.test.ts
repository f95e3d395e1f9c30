// Schema migrations that change what an existing database holds: the filter tables of migration 3
// are filled from the rows a version-2 database already has, and kept right by its triggers.
import { describe, expect, it } from 'vitest';
import { MIGRATIONS, migrate } from '../../src/store/postgres/index.js';
import type { RecipientEvent } from '../../src/types.js';
import { pgSkip, usePgCluster } from '../helpers/pg-cluster.js';
import { message, pgStore, withClient } from '../helpers/pg-store.js';

const pg = usePgCluster();

const bounce = (id: string, queueId: string, rcpt: string, time: number): RecipientEvent => ({
  type: 'attempt', id, time, queueId, messageId: null, rcpt, attempt: 1, status: 'bounced', stage: 'rcpt', code: 550, enhanced: '5.1.1',
  response: '550 5.1.1 no such user', mx: null, ip: null, tls: false, startedAt: time, finishedAt: time, reason: 'userunknown', category: 'Invalid Email', hard: true,
} as RecipientEvent);

describe.skipIf(pgSkip)(pgSkip ? `postgres schema migrations (skipped: ${pgSkip})` : 'postgres schema migrations', () => {
  it('a database written at version 2 answers the recipient and failure filters after migrating to the newest', async () => {
    const url = await pg.db();
    expect((await withClient(url, (c) => migrate(c, MIGRATIONS.filter((m) => m.version <= 2)))).applied).toEqual([1, 2]);
    // A version-2 node wrote these (its store wrote the same columns this one does).
    const old = pgStore(url);
    await withClient(url, async (c) => {
      await c.query(`INSERT INTO messages (queue_id, message_id, received_at, status, rcpt_keys, rcpt_statuses, rcpt_key_status, record)
        VALUES ('Q1', NULL, 1000, 'done', ARRAY['a@x.test'], ARRAY['bounced'], ARRAY['bounced:a@x.test'], $1)`, [JSON.stringify(message('Q1', 1_000, ['A@x.test']))]);
      await c.query(`INSERT INTO events (id, time, type, queue_id, rcpt_key, reason, category, failure, node, payload)
        VALUES ('e1', 1001, 'attempt', 'Q1', 'a@x.test', 'userunknown', 'Invalid Email', true, 'old', $1)`, [JSON.stringify(bounce('e1', 'Q1', 'A@x.test', 1_001))]);
    });
    await old.open(); // migrates to the newest
    expect((await withClient(url, async (c) => (await c.query('SELECT max(version) AS v FROM schema_migrations')).rows[0].v))).toBe(MIGRATIONS.at(-1)!.version);
    const ids = async (q: Parameters<typeof old.pageMessages>[0]) => (await old.pageMessages(q, { limit: 10 })).items.map((m) => m.queueId);
    expect(await ids({ rcpt: 'a@X.test' })).toEqual(['Q1']);
    expect(await ids({ rcptStatus: 'bounced' })).toEqual(['Q1']);
    expect(await ids({ failedReason: 'userunknown', rcpt: 'A@x.test' })).toEqual(['Q1']);
    expect(await ids({ failedCategory: 'Invalid Email' })).toEqual(['Q1']);
    expect(await ids({ rcptStatus: 'delivered' })).toEqual([]);
    await old.close();
  });

  it("a message's failures count when its events were written before it (a copy from another store)", async () => {
    const url = await pg.db();
    const s = pgStore(url);
    await s.open();
    await s.appendEvents([bounce('e1', 'Q2', 'b@x.test', 2_001)]);
    expect((await s.pageMessages({ failedReason: 'userunknown' }, { limit: 10 })).items).toEqual([]);
    await s.putMessage(message('Q2', 2_000, ['b@x.test']));
    expect((await s.pageMessages({ failedReason: 'userunknown' }, { limit: 10 })).items.map((m) => m.queueId)).toEqual(['Q2']);
    // A status change moves the message between the recipient-state lists.
    const m = message('Q2', 2_000, ['b@x.test']);
    m.rcpts[0]!.status = 'bounced';
    await s.putMessage(m);
    expect((await s.pageMessages({ rcptStatus: 'queued' }, { limit: 10 })).items).toEqual([]);
    expect(await s.countMessages({ rcptStatus: 'bounced', rcpt: 'B@x.test' })).toBe(1);
    await s.close();
  });
});
