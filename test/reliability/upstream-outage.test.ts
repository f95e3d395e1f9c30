// Upstream outage: the smarthost's port is closed for a while, then an upstream comes back on the
// same port. Everything queued must be delivered; retries must follow the backoff (attempt times
// in the store's events grow), and the waiting Rebound must not busy-loop (its CPU time stays low).
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Upstream } from '../helpers/upstream.js';
import { cleanup, tempDir, waitFor } from '../helpers/rebound.js';
import { ReboundChild, childConfig, freePort, requireBuild, sleep, writeConfig } from '../helpers/child.js';
import type { RecipientEvent } from '../../src/types.js';
import { ENABLED, Load, cpuMs, describeDuplicates, readEvents, receivedCounts, rssMiB, settle } from './helpers.js';
import { report } from './summary.js';

const MESSAGES = 200;
const FIRST_DELAY = 500;
const MAX_DELAY = 4_000;
const OUTAGE_MS = 20_000;

let up: Upstream | null = null;
let dir = '';
const children: ReboundChild[] = [];

beforeAll(() => {
  if (!ENABLED) return;
  requireBuild();
  dir = tempDir('rebound-outage-');
});
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await up?.stop();
  if (dir) cleanup(dir);
});

describe.skipIf(!ENABLED)('upstream outage', () => {
  it('queues while the upstream is down, backs off without spinning, delivers everything when it returns', async () => {
    const upPort = await freePort(); // nobody listens: connection refused
    const port = await freePort();
    const configFile = path.join(dir, 'config.json');
    writeConfig(configFile, childConfig(path.join(dir, 'data'), port, upPort, {
      delivery: {
        mode: 'smarthost', smarthost: { host: '127.0.0.1', port: upPort, rejectUnauthorized: false },
        retry: { firstDelayMs: FIRST_DELAY, maxDelayMs: MAX_DELAY },
        connectTimeoutMs: 2_000, greetingTimeoutMs: 2_000, socketTimeoutMs: 10_000, idleTimeoutMs: 1_000,
      },
    }));
    const child = await ReboundChild.start(configFile, port, 20_000);
    children.push(child);
    const outageStart = Date.now();
    const load = new Load(port, 0, { concurrency: 8, max: MESSAGES, maxMs: 60_000, to: (s) => `rcpt${s % 10}@example.org` });
    const res = await load.done;
    expect(res.acked.size, `all ${MESSAGES} should be accepted while the upstream is down (${res.lastError})`).toBe(MESSAGES);

    // Let the backoff reach its cap, then measure CPU over a quiet stretch of the outage.
    await sleep(Math.max(0, outageStart + 8_000 - Date.now()));
    const cpu0 = cpuMs(child.pid);
    const t0 = Date.now();
    await sleep(Math.max(5_000, outageStart + OUTAGE_MS - Date.now()));
    const waitedMs = Date.now() - t0;
    const cpuWhileWaiting = cpuMs(child.pid) - cpu0;
    const rss = rssMiB(child.pid);

    up = await new Upstream({ port: upPort }).start();
    const back = Date.now();
    await waitFor(() => {
      const got = receivedCounts(up!);
      return [...res.acked].every((s) => got.has(s));
    }, 60_000, 100);
    const drainMs = Date.now() - back;
    await settle(up, 1_000, 10_000);
    const { duplicates } = describeDuplicates(receivedCounts(up));
    expect(await child.terminate()).toEqual({ code: 0, signal: null });

    // Attempt times from the store's event files (append-only JSON lines, one file per day).
    const attemptsAll = readEvents(path.join(dir, 'data', 'store', 'events')).filter((e): e is Extract<RecipientEvent, { type: 'attempt' }> => e.type === 'attempt');
    const byQueue = new Map<string, typeof attemptsAll>();
    for (const a of attemptsAll) byQueue.set(a.queueId, [...(byQueue.get(a.queueId) ?? []), a]);
    const attempts = [...byQueue.values()][0]!.sort((a, b) => a.startedAt - b.startedAt);
    const gaps = attempts.slice(1).map((a, i) => a.startedAt - attempts[i]!.finishedAt);
    const inWindow = attemptsAll.filter((a) => a.startedAt >= t0 && a.startedAt < t0 + waitedMs).length;
    const perMessage = [...byQueue.values()].map((l) => l.length);
    console.log(`attempt gaps of one message (ms): ${gaps.join(', ')}; statuses: ${attempts.map((a) => a.status).join(',')}`);
    console.log(`attempts per message: min ${Math.min(...perMessage)} max ${Math.max(...perMessage)}; attempts during the CPU window: ${inWindow}`);
    const cpuPct = (cpuWhileWaiting / waitedMs) * 100;
    const cpuPerAttempt = inWindow ? cpuWhileWaiting / inWindow : 0;
    report(
      `Upstream outage: ${MESSAGES} messages accepted while the smarthost port was closed for ${(OUTAGE_MS / 1000).toFixed(0)} s ` +
        `(retry ${FIRST_DELAY} ms doubling to ${MAX_DELAY} ms); CPU of the waiting Rebound ${cpuWhileWaiting.toFixed(0)} ms over ${(waitedMs / 1000).toFixed(1)} s ` +
        `(${cpuPct.toFixed(1)}%, ${inWindow} retries in that time, ${cpuPerAttempt.toFixed(1)} ms CPU per retry), RSS ${rss} MiB; after the upstream came back all ${res.acked.size} delivered in ${(drainMs / 1000).toFixed(1)} s, ` +
        `0 lost, ${duplicates} duplicates; one message's retry gaps: ${gaps.map((g) => (g / 1000).toFixed(1)).join(', ')} s.`,
    );
    // No busy loop: the retries in the window are what the backoff allows (each message at most
    // every MAX_DELAY), and the CPU is those retries' work, not spinning.
    expect(inWindow, 'retries during the CPU window').toBeLessThanOrEqual(Math.ceil((MESSAGES * waitedMs) / MAX_DELAY * 1.2) + MESSAGES);
    expect(cpuPct, 'CPU while waiting for the upstream').toBeLessThan(20);
    expect(duplicates).toBe(0);
    // Backoff: the gaps grow (doubling) until the cap, never much shorter than the schedule says.
    expect(attempts.length).toBeGreaterThanOrEqual(4);
    for (let i = 0; i < gaps.length - 1; i++) {
      const expected = Math.min(FIRST_DELAY * 2 ** i, MAX_DELAY);
      expect(gaps[i]!, `gap ${i} (${gaps.join(',')})`).toBeGreaterThanOrEqual(expected * 0.9 - 50);
    }
    expect(gaps[gaps.length - 2]!).toBeGreaterThan(gaps[0]! * 3);
    // Every retry during the outage is counted: with doubling to a cap the attempt count stays small.
    const maxAttempts = 2 + Math.ceil(Math.log2(MAX_DELAY / FIRST_DELAY)) + Math.ceil(OUTAGE_MS / MAX_DELAY);
    expect(attempts.length).toBeLessThanOrEqual(maxAttempts + 1);
    expect(attempts.at(-1)!.status).toBe('delivered');
  });
});
