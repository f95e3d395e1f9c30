// A short soak: mixed traffic for SOAK_MS (default 10 minutes) through a child Rebound to the
// Sandbox, which answers per recipient and sends bounces, complaints and auto-replies back to the
// return path. The child's RSS (from /proc), event-loop delay (a preload with a histogram) and
// the latency of a small request loop (NOOP on a kept-open SMTP session) are sampled; there must
// be no growth trend. Run shorter while developing: SOAK_MS=60000 npm run test:reliability.
import { rmSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sandbox } from '../../src/sandbox/index.js';
import { silentLogger } from '../../src/util/logger.js';
import { cleanup, tempDir } from '../helpers/rebound.js';
import { ReboundChild, childConfig, freePort, requireBuild, sleep, writeConfig } from '../helpers/child.js';
import { RawClient } from '../abuse/raw-smtp.js';
import { ENABLED, cpuMs, readEvents, rssMiB } from './helpers.js';
import { report } from './summary.js';

const SOAK_MS = Number(process.env.SOAK_MS ?? 600_000);
const SAMPLE_MS = Number(process.env.SOAK_SAMPLE_MS ?? Math.max(2_000, Math.min(10_000, SOAK_MS / 60)));
const RATE = Number(process.env.SOAK_RATE ?? 10); // messages per second
const KINDS = ['success', 'success', 'success', 'bounce', 'full', 'blocked', 'ooto', 'complaint', 'late-bounce'] as const;
const RP_DOMAIN = 'bounces.soak.test';

let sandbox: Sandbox;
let dir = '';
const children: ReboundChild[] = [];

beforeAll(() => {
  if (!ENABLED) return;
  requireBuild();
  dir = tempDir('rebound-soak-');
});
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await sandbox?.stop();
  if (dir) cleanup(dir);
});

interface Sample {
  t: number;
  rssMiB: number;
  cpuPct: number;
  noopMs: number;
  eldP99: number | null;
  eldMax: number | null;
  sent: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
};

describe.skipIf(!ENABLED)('soak', () => {
  it(`mixed traffic for ${(SOAK_MS / 1000).toFixed(0)} s without growth in memory or event-loop delay`, { timeout: SOAK_MS + 180_000 }, async () => {
    const rpPort = await freePort();
    sandbox = new Sandbox({ host: '127.0.0.1', port: 0, name: 'sandbox.test', reportDelayMs: 200, logger: silentLogger(), returnPath: { host: '127.0.0.1', port: rpPort } });
    const sandboxPort = await sandbox.start();
    const port = await freePort();
    const configFile = path.join(dir, 'config.json');
    writeConfig(configFile, childConfig(path.join(dir, 'data'), port, sandboxPort, {
      // The NOOP probe idles between samples: keep its session open longer than SAMPLE_MS.
      submission: { host: '127.0.0.1', port, trustedNetworks: ['127.0.0.1/32'], socketTimeoutMs: SAMPLE_MS * 3 + 10_000 },
      log: { level: 'warn' }, // the test keeps the child's stdout; info lines for every message would be the test's own leak
      returnPath: { domain: RP_DOMAIN, port: rpPort },
      delivery: {
        mode: 'smarthost', smarthost: { host: '127.0.0.1', port: sandboxPort, rejectUnauthorized: false },
        // full@ defers: retried a few times, then expires, all within the soak.
        retry: { firstDelayMs: 1_000, maxDelayMs: 5_000, lifetimeMs: 30_000 },
        connectTimeoutMs: 2_000, greetingTimeoutMs: 2_000, socketTimeoutMs: 10_000, idleTimeoutMs: 1_000,
      },
    }));
    const eldFile = path.join(dir, 'eld.jsonl');
    rmSync(eldFile, { force: true });
    // The preload is passed through the environment the child inherits; restored right after the spawn.
    const saved = { NODE_OPTIONS: process.env.NODE_OPTIONS, REBOUND_ELD_FILE: process.env.REBOUND_ELD_FILE, REBOUND_ELD_EVERY_MS: process.env.REBOUND_ELD_EVERY_MS };
    process.env.NODE_OPTIONS = `${saved.NODE_OPTIONS ?? ''} --import=${pathToFileURL(path.join(import.meta.dirname, 'eld-preload.mjs')).href}`.trim();
    process.env.REBOUND_ELD_FILE = eldFile;
    process.env.REBOUND_ELD_EVERY_MS = String(SAMPLE_MS);
    let child: ReboundChild;
    try {
      child = await ReboundChild.start(configFile, port, 20_000);
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
    children.push(child);

    // Traffic: RATE messages a second, paced, over a small pool; bounded by SOAK_MS and a count.
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port, pool: true, maxConnections: 4, maxMessages: Infinity, ignoreTLS: true, socketTimeout: 10_000 });
    const counts = { sent: 0, acked: 0, refused: 0, failed: 0 };
    const refusals = new Map<string, number>();
    const start = Date.now();
    const end = start + SOAK_MS;
    const maxMessages = Math.ceil((SOAK_MS / 1000) * RATE) + 10;
    const inflight = new Set<Promise<void>>();
    const traffic = (async () => {
      for (let seq = 0; Date.now() < end && seq < maxMessages; seq++) {
        const due = start + (seq * 1000) / RATE;
        if (due > Date.now()) await sleep(due - Date.now());
        const kind = KINDS[seq % KINDS.length]!;
        // Complaints suppress their address, so each goes to a new one; the others reuse 25 domains.
        const to = kind === 'complaint' ? `complaint@c${seq}.sandbox.test` : `${kind}@d${seq % 25}.sandbox.test`;
        counts.sent++;
        const p = transport.sendMail({ from: `news${seq % 5}@shop.example`, to, subject: `soak ${seq}`, text: `soak message ${seq}\n${'y'.repeat(800)}` }).then(
          () => void counts.acked++,
          (err: { responseCode?: number; response?: string }) => {
            if (err.responseCode) {
              counts.refused++;
              const k = (err.response ?? String(err.responseCode)).slice(0, 9);
              refusals.set(k, (refusals.get(k) ?? 0) + 1);
            } else counts.failed++;
          },
        ).finally(() => inflight.delete(p));
        inflight.add(p);
        if (inflight.size > 200) await Promise.race(inflight); // never pile up unboundedly if the server slows down
      }
      await Promise.all(inflight);
    })();

    // Sampling: RSS and CPU from /proc, NOOP round trip on a kept-open session, ELD from the preload's file.
    const samples: Sample[] = [];
    let probe = (await RawClient.connect(port)).client;
    await probe.say('EHLO probe.example\r\n');
    let lastCpu = cpuMs(child.pid);
    let lastT = Date.now();
    while (Date.now() < end) {
      await sleep(Math.min(SAMPLE_MS, Math.max(0, end - Date.now())));
      if (!child.running) break;
      const t0 = Date.now();
      let r = await probe.say('NOOP\r\n', 5_000);
      if (!r) {
        probe.destroy();
        probe = (await RawClient.connect(port)).client;
        r = await probe.say('NOOP\r\n', 5_000);
      }
      const noopMs = Date.now() - t0;
      const cpu = cpuMs(child.pid);
      const now = Date.now();
      const eld = existsSync(eldFile) ? readFileSync(eldFile, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { p99: number; max: number }).at(-1) : undefined;
      samples.push({ t: Math.round((now - start) / 1000), rssMiB: rssMiB(child.pid), cpuPct: Math.round(((cpu - lastCpu) / (now - lastT)) * 1000) / 10, noopMs, eldP99: eld?.p99 ?? null, eldMax: eld?.max ?? null, sent: counts.sent });
      lastCpu = cpu;
      lastT = now;
    }
    probe.destroy();
    await traffic;
    transport.close();
    expect(child.running, `Rebound died during the soak\n${child.diagnostics()}`).toBe(true);
    await sleep(2_000); // late reports still on their way
    const stop = await child.terminate();

    const events = readEvents(path.join(dir, 'data', 'store', 'events'));
    const tally = (pred: (e: (typeof events)[number]) => boolean) => events.filter(pred).length;
    const attempts = { delivered: 0, deferred: 0, bounced: 0, expired: 0 } as Record<string, number>;
    for (const e of events) if (e.type === 'attempt') attempts[e.status] = (attempts[e.status] ?? 0) + 1;
    const reports = {
      verified: tally((e) => e.type === 'report' && e.verified),
      unverified: tally((e) => e.type === 'report' && !e.verified),
      arf: tally((e) => e.type === 'report' && e.kind === 'arf' && e.verified),
      autoreply: tally((e) => e.type === 'report' && e.kind === 'autoreply' && e.verified),
    };
    console.log('samples (t s, RSS MiB, CPU %, NOOP ms, ELD p99 ms, ELD max ms, sent):');
    for (const s of samples) console.log(`  ${s.t}\t${s.rssMiB}\t${s.cpuPct}\t${s.noopMs}\t${s.eldP99 ?? '-'}\t${s.eldMax ?? '-'}\t${s.sent}`);
    const third = Math.floor(samples.length / 3);
    const middle = samples.slice(third, 2 * third);
    const last = samples.slice(2 * third);
    const rssMid = median(middle.map((s) => s.rssMiB));
    const rssLast = median(last.map((s) => s.rssMiB));
    const eldMid = median(middle.map((s) => s.eldP99 ?? 0));
    const eldLast = median(last.map((s) => s.eldP99 ?? 0));
    const noopMax = Math.max(...samples.map((s) => s.noopMs));
    report(
      `Soak: ${(SOAK_MS / 60_000).toFixed(1)} min of mixed traffic at ${RATE} msg/s through the Sandbox (${counts.sent} submitted, ${counts.acked} accepted, ` +
        `${counts.refused} refused ${JSON.stringify(Object.fromEntries(refusals))}, ${counts.failed} failed); attempts ${JSON.stringify(attempts)}; ` +
        `reports back ${reports.verified} verified (${reports.arf} complaints, ${reports.autoreply} auto-replies), ${reports.unverified} unverified; ` +
        `RSS median middle third ${rssMid} MiB, last third ${rssLast} MiB (${(((rssLast - rssMid) / rssMid) * 100).toFixed(1)}%); ` +
        `event-loop delay p99 median ${eldMid} -> ${eldLast} ms; NOOP round trip max ${noopMax} ms; ${samples.length} samples every ${SAMPLE_MS / 1000} s.`,
    );
    expect(stop).toEqual({ code: 0, signal: null });
    expect(samples.length).toBeGreaterThanOrEqual(6);
    expect(counts.failed, 'connection-level failures at the submission port').toBe(0);
    expect(counts.acked).toBeGreaterThan(counts.sent * 0.8);
    expect(reports.arf).toBeGreaterThan(0);
    expect(reports.autoreply).toBeGreaterThan(0);
    expect(attempts.deferred).toBeGreaterThan(0);
    expect(attempts.bounced).toBeGreaterThan(0);
    // No growth trend. The store keeps every message and event for the retention period (30 days)
    // in memory, so some growth is by design; allow 25% (+10 MiB) from the middle to the last third.
    expect(rssLast, 'RSS grew between the middle and last third of the soak').toBeLessThanOrEqual(rssMid * 1.25 + 10);
    expect(eldLast, 'event-loop delay p99 grew').toBeLessThanOrEqual(Math.max(eldMid * 2, eldMid + 50));
    expect(noopMax, 'a NOOP took too long at some point').toBeLessThan(2_000);
  });
});
