// Crash loop: 20 SIGKILLs at random moments under continuous load, each restart on the same data
// dir. At the end every acknowledged message must have reached the upstream sink; duplicates
// (at-least-once delivery) are counted, bounded and printed.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Upstream } from '../helpers/upstream.js';
import { cleanup, tempDir, waitFor } from '../helpers/rebound.js';
import { ReboundChild, childConfig, freePort, requireBuild, sleep, writeConfig } from '../helpers/child.js';
import { ENABLED, Load, describeDuplicates, receivedCounts, settle } from './helpers.js';
import { report } from './summary.js';

const ROUNDS = Number(process.env.CRASH_ROUNDS ?? 20);
const PER_ROUND = 300; // messages at most per round
const MAX_ROUND_MS = 4_000;

let up: Upstream;
let dir = '';
const children: ReboundChild[] = [];

beforeAll(async () => {
  if (!ENABLED) return;
  requireBuild();
  up = await new Upstream().start();
  dir = tempDir('rebound-crashloop-');
});

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL'); // only children this test started, if a failure left one
  await up?.stop();
  if (dir) cleanup(dir);
});

describe.skipIf(!ENABLED)('crash loop', () => {
  it(`loses no acknowledged message over ${ROUNDS} SIGKILLs under load`, async () => {
    const port = await freePort();
    const configFile = path.join(dir, 'config.json');
    // Small segments so kills also land around segment rotation and reclaim.
    writeConfig(configFile, childConfig(path.join(dir, 'data'), port, up.port, { spool: { segmentBytes: 256 * 1024 } }));
    const acked = new Set<number>();
    let seq = 0;
    const kills: string[] = [];
    const started = Date.now();
    for (let round = 0; round < ROUNDS; round++) {
      const child = await ReboundChild.start(configFile, port, 20_000);
      children.push(child);
      // Kill at a random moment: in a third of the rounds during recovery (0-500 ms after the port
      // opens, while the spool is redelivering), otherwise after a random number of this round's
      // acknowledgements (so mid-burst), with a time cap.
      const early = Math.random() < 1 / 3;
      const killAtAcks = 1 + Math.floor(Math.random() * 120);
      const t0 = Date.now();
      const load = new Load(port, seq, { concurrency: 8, max: PER_ROUND, maxMs: MAX_ROUND_MS * 2, onAck: (s) => acked.add(s) });
      if (early) await sleep(Math.floor(Math.random() * 500));
      else await waitFor(() => load.result.acked.size >= killAtAcks || Date.now() - t0 > MAX_ROUND_MS, MAX_ROUND_MS + 1_000, 5).catch(() => undefined);
      const killAfterMs = Date.now() - t0;
      const ackedAtKill = load.result.acked.size;
      child.kill('SIGKILL');
      const exit = await child.exited;
      const res = await load.stop();
      seq = load.next;
      expect(exit.signal, child.diagnostics()).toBe('SIGKILL');
      kills.push(`${early ? 'E' : 'L'}${killAfterMs}ms/${ackedAtKill}`);
      if (res.refused) console.log(`round ${round}: ${res.refused} refused (${res.lastError})`);
    }
    // One last start: it must deliver everything acknowledged before any of the kills.
    const last = await ReboundChild.start(configFile, port, 20_000);
    children.push(last);
    try {
      await waitFor(() => {
        const got = receivedCounts(up);
        return [...acked].every((s) => got.has(s));
      }, 120_000, 250);
    } catch {
      const got = receivedCounts(up);
      const missing = [...acked].filter((s) => !got.has(s)).sort((a, b) => a - b);
      throw new Error(`${missing.length} acknowledged messages never reached the upstream: ${missing.slice(0, 40).join(',')}\n${last.diagnostics()}`);
    }
    await settle(up, 1_000, 15_000);
    const got = receivedCounts(up);
    const { duplicates, worst } = describeDuplicates(got);
    const unackedDelivered = [...got.keys()].filter((s) => !acked.has(s)).length;
    const lost = [...acked].filter((s) => !got.has(s)).length;
    const stop = await last.terminate();
    console.log(`kill moments (E: during recovery, L: under load; ms after ready / acks in that round): ${kills.join(' ')}`);
    console.log(`worst duplicates [seq, times received]: ${JSON.stringify(worst)}`);
    report(
      `Crash loop: ${ROUNDS} SIGKILLs at random moments (a third during recovery, the rest mid-burst) under continuous load (8 connections), ` +
        `restart on the same data dir each time: ${seq} messages tried, ${acked.size} acknowledged, ${lost} lost, ` +
        `${duplicates} duplicate deliveries (${((duplicates / Math.max(1, acked.size)) * 100).toFixed(1)}%), ` +
        `${unackedDelivered} unacknowledged but delivered; ${((Date.now() - started) / 1000).toFixed(0)} s.`,
    );
    expect(lost).toBe(0);
    expect(acked.size).toBeGreaterThan(ROUNDS * 10);
    // At-least-once: a duplicate needs a kill between the upstream's 250 and our spool's "done"
    // record, so they are bounded by what can be in flight at each kill (pool size x messages per batch).
    expect(duplicates).toBeLessThanOrEqual(ROUNDS * 64);
    expect(stop, `SIGTERM after the loop should exit cleanly\n${last.diagnostics()}`).toEqual({ code: 0, signal: null });
  });
});
