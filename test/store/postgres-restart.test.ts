// The PostgreSQL store when its server goes away: a write whose promise resolved survives a crash
// of the server (pg_ctl stop -m immediate: no shutdown checkpoint, recovery from the WAL), and the
// store, its readiness and its listeners come back by themselves once the server is up again.
import { describe, expect, it } from 'vitest';
import type { RecipientEvent } from '../../src/types.js';
import { pgSkip, usePgCluster } from '../helpers/pg-cluster.js';
import { flagEvent, message, pgStore, recipient, waitFor, withClient } from '../helpers/pg-store.js';

const pg = usePgCluster();

describe.skipIf(pgSkip)(pgSkip ? `postgres store and server restarts (skipped: ${pgSkip})` : 'postgres store and server restarts', () => {
  it('every write whose promise resolved is there after the server crashed mid-load and recovered', async () => {
    const url = await pg.db();
    const s = pgStore(url);
    await s.open();
    const resolved: string[] = [];
    let crashed = false;
    // Writers keep going until the crash; only what resolved before it is owed.
    const writer = async (w: number) => {
      for (let i = 0; !crashed; i++) {
        const id = `W${w}-${i}`;
        try {
          await s.transaction(async () => {
            await s.putMessage(message(id, 1_000 + i));
            await s.appendEvents([flagEvent(id, `${id}@example.test`, 1_000 + i)]);
          });
          if (!crashed) resolved.push(id);
        } catch {
          return;
        }
      }
    };
    const writers = Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map(writer));
    await waitFor('200 acknowledged writes', () => resolved.length >= 200, 20_000);
    const acknowledged = [...resolved];
    crashed = true;
    await pg.cluster().crash();
    await writers;
    await s.close().catch(() => {});
    await pg.cluster().start();
    const after = pgStore(url);
    await after.open();
    const missing: string[] = [];
    for (const id of acknowledged) {
      if (!(await after.getMessage(id)) || (await after.eventsForMessage(id)).length !== 0 || (await after.eventsForRecipient(`${id}@example.test`)).length !== 1) missing.push(id);
    }
    expect(missing).toEqual([]);
    expect(pg.cluster().log()).toMatch(/database system was interrupted|redo starts|not properly shut down/);
    await after.close();
  }, 60_000);

  it('after a server restart the same store writes again, readiness recovers, and listeners hear other nodes again', async () => {
    const url = await pg.db();
    const a = pgStore(url, { nodeId: 'a', healthIntervalMs: 100 });
    const b = pgStore(url, { nodeId: 'b', healthIntervalMs: 100 });
    await Promise.all([a.open(), b.open()]);
    const heard: RecipientEvent[] = [];
    a.subscribe((e) => heard.push(e));
    await a.listening();
    await b.appendEvents([flagEvent('before', 'x@example.test', 1)]);
    await waitFor('the first event', () => heard.length === 1);

    await pg.cluster().stop({ mode: 'fast' });
    await expect(a.putRecipient(recipient('r@example.test'))).rejects.toThrow();
    const down = a.writeHealth();
    expect(down.ok).toBe(false);
    await pg.cluster().start();

    await a.putRecipient(recipient('r@example.test', { failedCount: 3 }));
    expect((await b.getRecipient('R@example.test'))?.failedCount).toBe(3);
    await waitFor('readiness back', () => a.writeHealth().ok && b.writeHealth().ok);
    // The listener reconnects by itself; what b writes now reaches a.
    const t0 = Date.now();
    let n = 0;
    while (heard.length < 2 && Date.now() - t0 < 10_000) {
      await b.appendEvents([flagEvent(`after-${n++}`, 'x@example.test', 2)]);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(heard.length).toBeGreaterThanOrEqual(2);
    expect(heard[1]!.id).toMatch(/^after-/);
    await Promise.all([a.close(), b.close()]);
  }, 60_000);

  it('an idle store notices a stopped server within its health interval', async () => {
    const url = await pg.db();
    const s = pgStore(url, { healthIntervalMs: 100 });
    await s.open();
    await s.putMessage(message('Q1', 1));
    expect(s.writeHealth()).toEqual({ ok: true });
    await pg.cluster().stop({ mode: 'fast' });
    await waitFor('readiness to report the database', () => !s.writeHealth().ok, 3_000);
    const h = s.writeHealth();
    expect(h.ok === false && h.cause).toMatch(/database unreachable/);
    // A write that fails while the server is down: readiness comes back without another write
    // from outside (a node out of the balancer would get none), by the probe's own write.
    await expect(s.putMessage(message('Q2', 2))).rejects.toThrow();
    const failed = s.writeHealth();
    expect(failed.ok === false && failed.cause).toMatch(/database write failed/);
    await pg.cluster().start();
    await waitFor('readiness back', () => s.writeHealth().ok, 5_000);
    expect((await s.getMessage('Q1'))?.queueId).toBe('Q1');
    expect(await withClient(url, async (c) => (await c.query('SELECT count(*)::int AS n FROM store_probes')).rows[0].n)).toBe(1);
    await s.close();
  }, 30_000);
});
