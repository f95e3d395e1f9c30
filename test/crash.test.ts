// SIGKILL in the middle of a burst: every message that got a 250 must still reach the upstream
// after a restart on the same data dir. Duplicates are allowed (at-least-once) and reported.
import path from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Upstream } from './helpers/upstream.js';
import { cleanup, tempDir, waitFor } from './helpers/rebound.js';
import { ReboundChild, childConfig, freePort, requireBuild, writeConfig } from './helpers/child.js';

const TOTAL = 300;
const SEQ_RE = /^X-Test-Seq: (\d+)\r?$/im;

let up: Upstream;
let dir = '';
const children: ReboundChild[] = [];

beforeAll(async () => {
  requireBuild();
  up = await new Upstream().start();
  dir = tempDir('rebound-crash-');
});

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL'); // only if a failed test left one running
  await up?.stop();
  if (dir) cleanup(dir);
});

/** How many times the upstream received each sequence number. */
function receivedCounts(): Map<number, number> {
  const counts = new Map<number, number>();
  for (const r of up.received) {
    const m = SEQ_RE.exec(r.raw.toString('latin1'));
    if (m) counts.set(Number(m[1]), (counts.get(Number(m[1])) ?? 0) + 1);
  }
  return counts;
}

describe('crash: SIGKILL during a burst', () => {
  it('delivers every acknowledged message after a restart', { timeout: 60_000 }, async () => {
    const port = await freePort();
    const configFile = path.join(dir, 'config.json');
    writeConfig(configFile, childConfig(path.join(dir, 'data'), port, up.port));
    const first = await ReboundChild.start(configFile, port);
    children.push(first);

    // Kill somewhere in the middle, so both acked-and-delivered and acked-not-yet-delivered exist.
    const killAt = 50 + Math.floor(Math.random() * 201);
    const acked = new Set<number>();
    let killedAfter = -1;
    const transport = nodemailer.createTransport({
      host: '127.0.0.1', port, pool: true, maxConnections: 10, maxMessages: Infinity, ignoreTLS: true,
      connectionTimeout: 2_000, greetingTimeout: 2_000, socketTimeout: 5_000,
    });
    const sends = Array.from({ length: TOTAL }, (_, seq) =>
      transport
        .sendMail({
          from: 'sender@example.com', to: `rcpt${seq % 7}@example.org`, subject: `crash ${seq}`,
          headers: { 'X-Test-Seq': String(seq) }, text: `message ${seq}\n${'x'.repeat(500)}`,
        })
        .then((info) => {
          if (!/^250 /.test(info.response)) return;
          acked.add(seq);
          if (acked.size === killAt && first.running) {
            first.kill('SIGKILL');
            killedAfter = acked.size;
          }
        }, () => undefined), // refused or cut off by the kill: not acknowledged, may or may not arrive
    );
    await Promise.all(sends);
    transport.close();
    const exit = await first.exited;
    expect(exit.signal, `first child should have died by SIGKILL\n${first.diagnostics()}`).toBe('SIGKILL');
    const ackedAtKill = new Set(acked);
    const beforeRestart = receivedCounts();

    const second = await ReboundChild.start(configFile, port);
    children.push(second);
    try {
      await waitFor(() => {
        const got = receivedCounts();
        return [...ackedAtKill].every((s) => got.has(s));
      }, 30_000, 100);
    } catch {
      const got = receivedCounts();
      const missing = [...ackedAtKill].filter((s) => !got.has(s)).sort((a, b) => a - b);
      throw new Error(`${missing.length} acknowledged messages never reached the upstream: ${missing.slice(0, 30).join(',')}\n${second.diagnostics()}`);
    }
    // Let straggling re-deliveries land (upstream quiet for 500 ms) so the duplicate count is complete.
    for (let n = -1, end = Date.now() + 5_000; n !== up.received.length && Date.now() < end; ) {
      n = up.received.length;
      await new Promise((r) => setTimeout(r, 500));
    }

    const got = receivedCounts();
    const duplicates = [...got.values()].reduce((n, c) => n + c - 1, 0);
    const unackedArrived = [...got.keys()].filter((s) => !ackedAtKill.has(s)).length;
    const resumed = second.logs().find((l) => l.msg === 'rebound started')?.queued;
    console.log(
      `crash test: killed after ${killedAfter} acks (target ${killAt}); acked ${ackedAtKill.size}/${TOTAL}; ` +
        `upstream had ${beforeRestart.size} distinct before restart; spool resumed ${String(resumed)}; ` +
        `distinct received ${got.size}; duplicates ${duplicates}; unacked but delivered ${unackedArrived}; lost 0`,
    );
    expect(killedAfter).toBeGreaterThan(0);
    for (const s of ackedAtKill) expect(got.has(s), `acked message ${s} lost`).toBe(true);

    const stop = await second.terminate();
    expect(stop, `SIGTERM should give a clean exit\n${second.diagnostics()}`).toEqual({ code: 0, signal: null });
  });
});
