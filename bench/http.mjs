#!/usr/bin/env node
// HTTP API throughput with a realistic store: 100,000 recipients, one message and one attempt each.
// usage: node bench/http.mjs [--recipients N] [--seconds S] [--connections C]   (needs `npx tsc -p .` first)
// The server runs in a child process so the load generator (autocannon) does not share its event loop.
import { fork } from 'node:child_process';
import { seedStore } from './lib/seed-store.mjs';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);
const dist = path.join(path.dirname(here), '..', 'dist');
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
const N = opt('--recipients', 100_000);
const SECONDS = opt('--seconds', 8);
const CONNECTIONS = opt('--connections', 10);
const TOKEN = 'bench-token';

if (args.includes('--serve')) await serve();
else await drive();

async function serve() {
  const { LowdbStore } = await import(path.join(dist, 'store', 'index.js'));
  const { recipientActions } = await import(path.join(dist, 'control', 'actions.js'));
  const { startHttp } = await import(path.join(dist, 'http', 'server.js'));
  const { silentLogger } = await import(path.join(dist, 'util', 'logger.js'));
  const { hashPassword } = await import(path.join(dist, 'util', 'password.js'));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rebound-bench-http-'));
  const logger = silentLogger();
  const clock = { now: () => Date.now() };
  const store = new LowdbStore({ dir, shards: 64, flushIntervalMs: 200, eventRetentionDays: 30, logger, clock });
  await store.open();
  const t0 = performance.now();
  await seedStore(store, N, { domains: 500 });
  const fillMs = performance.now() - t0;
  await store.flush();
  // The store's own cost per call, to tell it apart from the HTTP layer's.
  const time = async (fn, n = 5) => {
    await fn();
    const s = performance.now();
    for (let i = 0; i < n; i++) await fn();
    return (performance.now() - s) / n;
  };
  const storeMs = {
    listMessages: await time(() => store.pageMessages({}, { limit: 50 })),
    listRecipientsFlagged: await time(async () => {
      for await (const _ of store.scanRecipients({ invalid: true }));
    }),
    getRecipient: await time(() => store.getRecipient('user77@example77.org'), 1000),
  };
  const http = await startHttp({
    config: { host: '127.0.0.1', port: 0, tokens: [await hashPassword(TOKEN)] },
    store, actions: recipientActions(store, clock.now), delivery: { queued: () => [] }, logger, clock,
  });
  process.send({ port: http.port, fillMs, storeMs, rss: process.memoryUsage().rss });
  process.on('message', async () => {
    await http.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  });
}

async function drive() {
  const { default: autocannon } = await import('autocannon');
  const child = fork(here, ['--serve', ...args], { stdio: 'inherit' });
  const ready = await new Promise((resolve) => child.once('message', resolve));
  console.log(`store: ${N.toLocaleString()} recipients, ${N.toLocaleString()} messages, ${N.toLocaleString()} events; filled in ${(ready.fillMs / 1000).toFixed(1)} s; server RSS ${(ready.rss / 2 ** 20).toFixed(0)} MiB`);
  const sm = ready.storeMs;
  console.log(`store calls alone: pageMessages(50) ${sm.listMessages.toFixed(1)} ms, scanRecipients({invalid}) ${sm.listRecipientsFlagged.toFixed(1)} ms, getRecipient ${(sm.getRecipient * 1000).toFixed(1)} µs`);
  console.log(`autocannon: ${CONNECTIONS} connections, ${SECONDS} s per case\n`);
  const base = `http://127.0.0.1:${ready.port}`;
  const headers = { authorization: `Bearer ${TOKEN}` };
  const randomRecipient = () => {
    const i = Math.floor(Math.random() * N);
    return `/api/recipients/user${i}@example${i % 500}.org`;
  };
  const cases = [
    ['GET /api/messages (newest 50)', { path: '/api/messages' }],
    ['GET /api/messages?status=bounced&limit=50', { path: '/api/messages?status=bounced&limit=50' }],
    ['GET /api/recipients/{email} (random)', { setupRequest: (req) => ({ ...req, path: randomRecipient() }) }],
    ['GET /api/recipients?flagged=true (100)', { path: '/api/recipients?flagged=true' }],
    ['GET /healthz (no store, no token)', { path: '/healthz' }],
  ];
  const rows = [];
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : null;
  // Warm-up: JIT, the response serialisers, and the store's first snapshot after the fill.
  for (const p of ['/api/messages', '/api/recipients/user1@example1.org', '/api/recipients?flagged=true']) await fetch(base + p, { headers }).then((r) => r.text());
  await new Promise((r) => setTimeout(r, 2_000));
  for (const [name, req] of cases.filter(([n]) => !only || n.includes(only))) {
    const r = await autocannon({ url: base, connections: CONNECTIONS, duration: SECONDS, headers, requests: [{ method: 'GET', ...req }] });
    const non2xx = r.non2xx + r.errors + r.timeouts;
    if (process.env.BENCH_DEBUG) console.log(name, r.requests, r.latency.max, r.timeouts, r.errors);
    rows.push({ case: name, 'req/s': Number((r.requests.total / r.duration).toFixed(1)), 'p50 ms': r.latency.p50, 'p99 ms': r.latency.p99, errors: non2xx });
    // Let the server finish what the last connections left queued before the next case starts.
    await fetch(`${base}/healthz`).then((res) => res.text());
  }
  console.table(rows);
  child.send('stop');
  await new Promise((r) => child.once('exit', r));
}
