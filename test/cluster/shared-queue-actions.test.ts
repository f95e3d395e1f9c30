// Operator actions on the shared (PostgreSQL) queue reach messages no node holds: a deferred
// message waits in the database between attempts, unleased, yet "retry now" sends it at once and
// "delete" ends it as expired (an operator cause, never the recipient's fault).
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { Rebound } from '../../src/main.js';
import { pgSkip, usePgCluster } from '../helpers/pg-cluster.js';
import { cleanup, queueIdOf, send, startRebound, tempDir, testConfig, waitFor } from '../helpers/rebound.js';
import { Upstream } from '../helpers/upstream.js';

if (pgSkip) console.warn(`shared-queue action tests skipped: ${pgSkip}`);

describe.skipIf(!!pgSkip)('operator actions on the shared queue', () => {
  const pgc = usePgCluster();
  const dirs: string[] = [];
  let app: Rebound | null = null;
  let up: Upstream | null = null;
  afterAll(async () => {
    await app?.stop(2_000);
    await up?.stop();
    for (const d of dirs) cleanup(d);
  });

  it('retry now and delete act on deferred messages held by no node', { timeout: 60_000 }, async () => {
    const url = await pgc.db('actions');
    up = await new Upstream({ rcpt: { later: '451 4.3.0 try again later' } }).start();
    const dir = tempDir('rebound-shared-actions-');
    dirs.push(dir);
    // A long first delay: without the operator, nothing would be tried again within the test.
    app = await startRebound(testConfig(dir, up.port, {
      store: { engine: 'postgres', postgres: { url, nodeId: 'ops', claimIntervalMs: 100 } },
      delivery: { retry: { firstDelayMs: 600_000, maxDelayMs: 600_000 } },
    }));
    const a = queueIdOf((await send(app.ports.submission, { to: ['later-a@example.org'] })).response);
    const b = queueIdOf((await send(app.ports.submission, { to: ['later-b@example.org'] })).response);
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    try {
      // Both tried once, deferred, and released: in the database, leased by nobody.
      await waitFor(async () => (await db.query(`SELECT count(*)::int AS n FROM delivery_queue WHERE lease_node IS NULL AND queue_id = ANY($1)`, [[a, b]])).rows[0].n === 2, 10_000);
      expect(app.spool.has(a)).toBe(false);

      up.opts.rcpt = {};
      expect(await app.delivery.retryNow(a)).toBe(1);
      await waitFor(() => up!.deliveredTo().includes('later-a@example.org'), 10_000);
      await waitFor(async () => (await app!.store.getMessage(a))?.status === 'done', 5_000);

      expect(await app.delivery.remove(b)).toBe(true);
      const rec = await app.store.getMessage(b);
      expect(rec?.status).toBe('done');
      expect(rec?.rcpts[0]?.status).toBe('expired');
      expect((await db.query(`SELECT count(*)::int AS n FROM delivery_queue WHERE queue_id = $1`, [b])).rows[0].n).toBe(0);
      // Never the recipient's fault, and never sent.
      expect((await app.store.getRecipient('later-b@example.org'))?.invalid ?? false).toBe(false);
      expect(up.deliveredTo()).not.toContain('later-b@example.org');
    } finally {
      await db.end();
    }
  });
});
