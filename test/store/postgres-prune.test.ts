// The PostgreSQL store prunes what the retention no longer keeps, as the embedded store does.
import { describe, expect, it } from 'vitest';
import { pgSkip, usePgCluster } from '../helpers/pg-cluster.js';
import { flagEvent, message, pgStore, recipient, withClient } from '../helpers/pg-store.js';

const pg = usePgCluster();
const DAY = 86_400_000;

describe.skipIf(pgSkip)(pgSkip ? `postgres store pruning (skipped: ${pgSkip})` : 'postgres store pruning', () => {
  it('drops old events, old finished messages and old clean recipients; keeps everything that still tells something', async () => {
    const url = await pg.db();
    const s = pgStore(url);
    await s.open();
    const now = Date.now();
    const old = now - 31 * DAY;
    const recent = now - 29 * DAY;
    await s.putMessage({ ...message('OLD-DONE', old), status: 'done' });
    await s.putMessage(message('OLD-QUEUED', old));
    await s.putMessage({ ...message('NEW-DONE', recent), status: 'done' });
    await s.query(`INSERT INTO message_bodies (queue_id, body) VALUES ('OLD-DONE', '\\x00'::bytea)`);
    await s.appendEvents([flagEvent('old-event', 'a@example.test', old), flagEvent('new-event', 'a@example.test', recent)]);
    await s.putRecipient(recipient('old-clean@example.test', { lastEventAt: old }));
    await s.putRecipient(recipient('old-flagged@example.test', { lastEventAt: old, invalid: true }));
    await s.putRecipient(recipient('old-suppressed@example.test', { lastEventAt: old, suppressed: true }));
    await s.putRecipient(recipient('old-awaiting@example.test', { lastEventAt: old, awaiting: { queueId: 'X', since: old } }));
    await s.putRecipient(recipient('new-clean@example.test', { lastEventAt: recent }));
    await s.putRecipient(recipient('never-active@example.test'));

    expect(await s.prune(now)).toEqual({ events: 1, messages: 1, recipients: 1, ran: true });
    expect((await s.eventsForRecipient('a@example.test')).map((e) => e.id)).toEqual(['new-event']);
    expect((await s.pageMessages({}, { limit: 10 })).items.map((m) => m.queueId).sort()).toEqual(['NEW-DONE', 'OLD-QUEUED']);
    expect((await s.pageRecipients({}, { limit: 10 })).items.map((r) => r.email).sort()).toEqual([
      'never-active@example.test', 'new-clean@example.test', 'old-awaiting@example.test', 'old-flagged@example.test', 'old-suppressed@example.test',
    ]);
    expect(await withClient(url, async (c) => (await c.query('SELECT count(*)::int AS n FROM message_bodies')).rows[0].n)).toBe(0);
    // Nothing more to do the second time.
    expect(await s.prune(now)).toEqual({ events: 0, messages: 0, recipients: 0, ran: true });
    await s.close();
  });
});
