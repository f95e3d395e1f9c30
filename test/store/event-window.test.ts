// Windows over the event history are never cut short: more events than the store keeps in memory
// are read back from the event log, for diagnose, the integration errors and the reports lists.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diagnose } from '../../src/diagnose/index.js';
import { LowdbStore } from '../../src/store/index.js';
import type { RecipientEvent } from '../../src/types.js';
import { silentLogger } from '../../src/util/logger.js';
import { cleanup, tempDir } from '../helpers/rebound.js';
import { buildHttpApp } from '../../src/http/server.js';
import { TOKEN, testTokenHash } from '../http/harness.js';

const NOW = Date.now();
const clock = { now: () => NOW };
const open = (dir: string) =>
  new LowdbStore({ dir, shards: 4, flushIntervalMs: 3_600_000, compactIntervalMs: 3_600_000, eventRetentionDays: 30, logger: silentLogger(), clock });

const N_ATTEMPTS = 70_000; // more than the 50,000 kept in memory
const COMPLAINTS = 12;
const INTEGRATION = 7;

function complaint(i: number, time: number): RecipientEvent {
  return {
    type: 'report', id: `c${i}`, time, reportId: `r${i}`, kind: 'arf', queueId: `q${i}`, rcpt: `Victim-${i}@Example.org`, verified: true,
    matchedBy: 'verp', status: '', replycode: '', reason: 'feedback', category: 'Spam', hard: false, diagnostic: 'abuse', decodedby: 'arf',
  };
}

describe('event windows larger than memory', () => {
  let dir: string;
  let store: LowdbStore;
  beforeAll(async () => {
    dir = tempDir('rebound-window-');
    store = open(dir);
    await store.open();
    // The oldest events of the window first, then a flood of deliveries.
    const t0 = NOW - 50 * 60_000;
    for (let i = 0; i < COMPLAINTS; i++) await store.appendEvents([complaint(i, t0 + i)]);
    for (let i = 0; i < INTEGRATION; i++) {
      await store.appendEvents([{ type: 'integration', id: `i${i}`, time: t0 + 100 + i, queueId: `qi${i}`, cause: 'auth', mx: 'smarthost.example', code: 535, response: '535 5.7.8 authentication failed', rcpts: [`a${i}@example.org`] }]);
    }
    for (let i = 0; i < N_ATTEMPTS; i++) {
      await store.appendEvents([{
        type: 'attempt', id: `a${i}`, time: t0 + 1_000 + i, queueId: `qa${i}`, messageId: null, rcpt: `r${i % 5000}@example.org`, attempt: 1, status: 'delivered',
        stage: 'data', code: 250, enhanced: '2.0.0', response: '250 ok', mx: 'smarthost.example', ip: null, tls: false, startedAt: t0, finishedAt: t0 + 1_000 + i,
      }]);
      if (i % 10_000 === 0) await store.flush();
    }
    await store.flush();
  }, 120_000);
  afterAll(async () => {
    await store.close();
    cleanup(dir);
  });

  const count = async (s: LowdbStore, since: number) => {
    let n = 0;
    for await (const _ of s.eventsSince(since)) n++;
    return n;
  };

  it('eventsSince covers the whole window, in the running store and after a restart', async () => {
    const total = COMPLAINTS + INTEGRATION + N_ATTEMPTS;
    expect(await count(store, NOW - 3_600_000)).toBe(total);
    const reopened = open(dir);
    await reopened.open({ readOnly: true });
    expect(await count(reopened, NOW - 3_600_000)).toBe(total);
    // A window that starts inside the part still in memory reads only that part.
    expect(await count(store, NOW - 50 * 60_000 + 1_000 + N_ATTEMPTS - 10)).toBe(10);
  });

  it('diagnose sees the complaints at the start of the window (complaint rate)', async () => {
    // 12 complaints against 70,000 deliveries: above a 0.01 % threshold, if all are counted.
    const findings = await diagnose(store, { now: NOW, windowMs: 3_600_000, thresholds: { complaintWarn: 0.0001 } });
    const rate = findings.find((f) => f.rule === 'complaint-rate');
    expect(rate, JSON.stringify(findings.map((f) => f.title))).toBeDefined();
    expect(rate!.title).toContain(`(${COMPLAINTS} complaint(s) / ${N_ATTEMPTS} delivered)`);
  });

  it('the API counts every report and integration error of the window', async () => {
    const api = await buildHttpApp({
      config: { host: '127.0.0.1', port: 0, tokens: [await testTokenHash()] },
      store, logger: silentLogger(), clock,
      // Not used by these routes.
      actions: {} as never, delivery: {} as never,
    });
    try {
      const get = async (url: string) => JSON.parse((await api.inject({ url, headers: { authorization: `Bearer ${TOKEN}` } })).body);
      const reports = await get('/api/reports?since=2h&limit=5');
      expect(reports.total).toBe(COMPLAINTS);
      expect(reports.reports.map((r: { id: string }) => r.id)).toEqual(['c11', 'c10', 'c9', 'c8', 'c7']);
      const errors = await get('/api/integration-errors?since=2h');
      expect(errors.total).toBe(INTEGRATION);
    } finally {
      await api.close();
    }
  });
});
