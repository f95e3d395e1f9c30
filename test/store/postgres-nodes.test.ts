// The PostgreSQL store as several nodes see it: migrations when nodes start together, atomic
// recipient updates from two instances, and events reaching another instance's listeners.
import { describe, expect, it } from 'vitest';
import { MIGRATIONS, migrate } from '../../src/store/postgres/index.js';
import type { RecipientEvent } from '../../src/types.js';
import { pgSkip, usePgCluster } from '../helpers/pg-cluster.js';
import { flagEvent, message, pgStore, recipient, waitFor, withClient } from '../helpers/pg-store.js';

const pg = usePgCluster();

describe.skipIf(pgSkip)(pgSkip ? `postgres store across nodes (skipped: ${pgSkip})` : 'postgres store across nodes', () => {
  it('four nodes opening one empty database at once apply each migration exactly once', async () => {
    const url = await pg.db();
    const stores = [0, 1, 2, 3].map((i) => pgStore(url, { nodeId: `n${i}` }));
    await Promise.all(stores.map((s) => s.open()));
    const rows = await withClient(url, async (c) => (await c.query('SELECT version, name FROM schema_migrations ORDER BY version')).rows);
    expect(rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    // Every node can write and read what another wrote.
    await stores[0]!.putMessage(message('Q1', 1_000));
    expect((await stores[3]!.getMessage('Q1'))?.queueId).toBe('Q1');
    // A later start applies nothing.
    expect(await withClient(url, (c) => migrate(c))).toEqual({ applied: [], version: MIGRATIONS.at(-1)!.version });
    await Promise.all(stores.map((s) => s.close()));
  });

  it('a read-only open refuses a database that no node has migrated', async () => {
    const url = await pg.db();
    await expect(pgStore(url).open({ readOnly: true })).rejects.toThrow(/schema is at version 0/);
  });

  it('updateRecipient from two nodes at once loses no update, also for an address without a record yet', async () => {
    const url = await pg.db();
    const a = pgStore(url, { nodeId: 'a' });
    const b = pgStore(url, { nodeId: 'b' });
    await Promise.all([a.open(), b.open()]);
    const bump = (s: typeof a, spelling: string) =>
      s.updateRecipient(spelling, (prev) => {
        const r = prev ?? recipient(spelling);
        return { record: { ...r, failedCount: r.failedCount + 1 } };
      });
    const spellings = ['New@Example.test', 'new@example.test', 'NEW@EXAMPLE.TEST'];
    await Promise.all(Array.from({ length: 40 }, (_, i) => bump(i % 2 ? a : b, spellings[i % 3]!)));
    expect((await a.getRecipient('new@example.test'))?.failedCount).toBe(40);
    expect(await a.countRecipients({})).toBe(1);
    await Promise.all([a.close(), b.close()]);
  });

  it("another node's events reach this node's listeners, in order, once each; large ones too", async () => {
    const url = await pg.db();
    const a = pgStore(url, { nodeId: 'a' });
    const b = pgStore(url, { nodeId: 'b' });
    await Promise.all([a.open(), b.open()]);
    const heardA: RecipientEvent[] = [];
    const heardB: RecipientEvent[] = [];
    a.subscribe((e) => heardA.push(e));
    b.subscribe((e) => heardB.push(e));
    await Promise.all([a.listening(), b.listening()]);
    const big = 'x'.repeat(20_000); // beyond NOTIFY's 8000-byte payload: announced by seq and read back
    const sent = [flagEvent('e1', 'one@example.test', 1), flagEvent('e2', 'two@example.test', 2, { reason: null, note: big }), flagEvent('e3', 'three@example.test', 3)];
    await b.appendEvents(sent.slice(0, 2));
    await b.transaction(async () => {
      await b.appendEvents(sent.slice(2));
    });
    await waitFor('node a to hear three events', () => heardA.length >= 3);
    await new Promise((r) => setTimeout(r, 200)); // and no more than three
    expect(heardA.map((e) => e.id)).toEqual(['e1', 'e2', 'e3']);
    expect((heardA[1] as unknown as { note: string }).note).toHaveLength(20_000);
    // The writer's own listeners heard each once (after the COMMIT, not again from the notification).
    expect(heardB.map((e) => e.id)).toEqual(['e1', 'e2', 'e3']);
    // Values: changing what a listener got changes nothing the other listener or a read sees.
    heardA[0]!.time = 999;
    expect(heardB[0]!.time).toBe(1);
    expect((await a.eventsForRecipient('ONE@example.test'))[0]?.time).toBe(1);
    await Promise.all([a.close(), b.close()]);
  });

  it('events of a rolled-back transaction are neither stored nor told, here or elsewhere', async () => {
    const url = await pg.db();
    const a = pgStore(url, { nodeId: 'a' });
    const b = pgStore(url, { nodeId: 'b' });
    await Promise.all([a.open(), b.open()]);
    const heard: string[] = [];
    a.subscribe((e) => heard.push(`a:${e.id}`));
    b.subscribe((e) => heard.push(`b:${e.id}`));
    await Promise.all([a.listening(), b.listening()]);
    await expect(
      b.transaction(async () => {
        await b.putMessage(message('Q1', 1_000));
        await b.appendEvents([flagEvent('gone', 'x@example.test', 1)]);
        // Not visible to another node before the COMMIT.
        expect(await a.getMessage('Q1')).toBeUndefined();
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    await b.appendEvents([flagEvent('kept', 'x@example.test', 2)]);
    await waitFor('both nodes to hear the kept event', () => heard.length >= 2);
    await new Promise((r) => setTimeout(r, 200));
    expect(heard.sort()).toEqual(['a:kept', 'b:kept']);
    expect(await a.getMessage('Q1')).toBeUndefined();
    expect((await a.eventsForRecipient('x@example.test')).map((e) => e.id)).toEqual(['kept']);
    await Promise.all([a.close(), b.close()]);
  });

  it('writes inside transaction() commit together, and durable() waits for that COMMIT', async () => {
    const url = await pg.db();
    const a = pgStore(url);
    const b = pgStore(url);
    await Promise.all([a.open(), b.open()]);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const tx = a.transaction(async () => {
      // Not awaited on purpose: the COMMIT waits for writes issued inside.
      void a.putMessage(message('Q1', 1_000));
      void a.updateRecipient('r@example.test', () => ({ record: recipient('r@example.test', { failedCount: 7 }), events: [flagEvent('f1', 'r@example.test', 5)] }));
      await held;
    });
    await new Promise((r) => setTimeout(r, 100));
    let durable = false;
    const d = a.durable().then(() => (durable = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(durable).toBe(false);
    expect(await b.getMessage('Q1')).toBeUndefined();
    release();
    await tx;
    await d;
    expect((await b.getMessage('Q1'))?.queueId).toBe('Q1');
    expect((await b.getRecipient('R@example.test'))?.failedCount).toBe(7);
    expect((await b.eventsForMessage('nothing')).length).toBe(0);
    expect((await b.eventsForRecipient('r@example.test')).map((e) => e.id)).toEqual(['f1']);
    await Promise.all([a.close(), b.close()]);
  });

  it('query() of the queue and slot tables joins the caller\'s transaction', async () => {
    const url = await pg.db();
    const a = pgStore(url);
    await a.open();
    const slotRows = async () => (await a.query<{ n: number }>('SELECT count(*)::int AS n FROM destination_slots')).rows[0]!.n;
    await expect(
      a.transaction(async () => {
        await a.query(`INSERT INTO destination_slots (destination, slot) VALUES ('mx.test', 0)`);
        await a.putMessage(message('Q1', 1));
        expect(await slotRows()).toBe(1); // seen inside
        throw new Error('undo');
      }),
    ).rejects.toThrow('undo');
    expect(await slotRows()).toBe(0);
    expect(await a.getMessage('Q1')).toBeUndefined();
    await a.transaction(async () => {
      await a.query(`INSERT INTO destination_slots (destination, slot) VALUES ('mx.test', 0)`);
    });
    expect(await slotRows()).toBe(1);
    await a.close();
  });
});
