// copyStore() from a lowdb store into PostgreSQL across several batches (1,000 rows a transaction):
// every record arrives once, the counts split what was new from what the database held, a record
// the database held already is left as it is, and the event span is the oldest and newest event.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LowdbStore } from '../../src/store/index.js';
import { copyStore } from '../../src/store/copy-store.js';
import { PostgresCopyTarget } from '../../src/store/postgres/copy-target.js';
import type { RecipientEvent } from '../../src/types.js';
import { systemClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/logger.js';
import { pgSkip, usePgCluster } from '../helpers/pg-cluster.js';
import { flagEvent, message, pgStore, recipient, withClient } from '../helpers/pg-store.js';
import { cleanup, tempDir } from '../helpers/rebound.js';

const N = 2_500;

describe.skipIf(!!pgSkip)('copyStore: lowdb into PostgreSQL', () => {
  const pgc = usePgCluster();
  let dir = '';
  let from: LowdbStore;
  const now = Date.now();
  const events: RecipientEvent[] = [];
  beforeAll(async () => {
    dir = tempDir('rebound-copy-');
    from = new LowdbStore({ dir: path.join(dir, 'store'), shards: 8, flushIntervalMs: 50, eventRetentionDays: 30, logger: silentLogger(), clock: systemClock });
    await from.open();
    for (let i = 0; i < N; i++) {
      const email = `User${i}@Example.ORG`;
      await from.putMessage({ ...message(`Q${String(i).padStart(6, '0')}`, now - i * 1000, [email]), status: 'done' });
      await from.putRecipient(recipient(email, {
        invalid: i % 7 === 0, suppressed: i % 11 === 0, suppressedReason: i % 11 === 0 ? 'complaint' : null, lastEventAt: now - i * 1000,
      }));
      events.push(flagEvent(`ev-${i}`, email, now - (i % 97) * 60_000 - i));
    }
    await from.appendEvents(events);
    await from.durable();
  }, 60_000);
  afterAll(async () => {
    await from?.close();
    if (dir) cleanup(dir);
  });

  it('copies every record once over several batches; what the database holds stays as it is', { timeout: 60_000 }, async () => {
    const url = await pgc.db('copy');
    const db = pgStore(url);
    await db.open();
    try {
      // The database already knows two of them, as a node left them: lifted suppression, other counts.
      await db.putRecipient(recipient('user0@example.org', { invalid: false, suppressed: false, deliveredCount: 42, lastEventAt: now }));
      await db.putMessage({ ...message('Q000001', now - 1000, ['User1@Example.ORG']), status: 'done', from: 'kept@example.test' });
      const batches: number[] = [];
      const r = await copyStore(from, new PostgresCopyTarget(db), (p) => batches.push(p.messages.read + p.recipients.read + p.events.read));
      const flagged = Math.ceil(N / 7);
      const suppressed = Math.ceil(N / 11);
      expect(r.messages).toEqual({ read: N, added: N - 1 });
      expect(r.recipients).toEqual({ read: N, added: N - 1 });
      // user0 is flagged and suppressed in lowdb (0 % 7, 0 % 11): present, so not added.
      expect(r.flagged).toEqual({ read: flagged, added: flagged - 1 });
      expect(r.suppressed).toEqual({ read: suppressed, added: suppressed - 1 });
      expect(r.events).toEqual({ read: N, added: N });
      const times = events.map((e) => e.time);
      expect(r.eventSpan).toEqual({ from: Math.min(...times), to: Math.max(...times) });
      // 3 kinds of 2,500 rows: 3 batches each, progress told after every one.
      expect(batches.length).toBe(9);
      expect((await db.getRecipient('USER0@example.org'))).toMatchObject({ email: 'user0@example.org', suppressed: false, deliveredCount: 42 });
      expect((await db.getMessage('Q000001'))?.from).toBe('kept@example.test');
      expect(await db.getRecipient('user2499@example.org')).toMatchObject({ email: 'User2499@Example.ORG' });
      expect(await db.countRecipients({ suppressed: true })).toBe(suppressed - 1);
      expect(await db.countRecipients({ invalid: true })).toBe(flagged - 1);
      expect(await db.countMessages({ rcpt: 'user1234@EXAMPLE.org' })).toBe(1);
      expect((await db.eventsForRecipient('USER1234@example.org')).map((e) => e.id)).toEqual(['ev-1234']);
      const rows = await withClient(url, async (c) => Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM events')).rows[0]!.n));
      expect(rows).toBe(N);

      const again = await copyStore(from, new PostgresCopyTarget(db));
      expect([again.messages, again.recipients, again.events]).toEqual([{ read: N, added: 0 }, { read: N, added: 0 }, { read: N, added: 0 }]);
    } finally {
      await db.close();
    }
  });
});
