#!/usr/bin/env node
// HTTP API throughput with a realistic store: 100,000 recipients, one message and one attempt each.
// usage: node bench/http.mjs [--recipients N] [--seconds S] [--connections C]   (needs `npx tsc -p .` first)
// The server runs in a child process so the load generator (autocannon) does not share its event loop.
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
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
  const now = Date.now();
  for (let i = 0; i < N; i++) {
    const email = `user${i}@example${i % 500}.org`;
    const queueId = `Q${String(i).padStart(15, '0')}`;
    const bad = i % 10 === 0;
    const at = now - (N - i) * 1000;
    const status = bad ? 'bounced' : 'delivered';
    const response = bad ? '550 5.1.1 <' + email + '>: Recipient address rejected: User unknown' : '250 2.0.0 Ok: queued as ABC';
    store.putMessage({
      queueId, messageId: `${queueId}@bench`, from: 'shop@example.com', user: null, clientIp: '127.0.0.1', size: 2048, receivedAt: at, nextAttemptAt: null,
      status: 'done', rcpts: [{ rcpt: email, status, attempts: 1, lastCode: bad ? 550 : 250, lastEnhanced: bad ? '5.1.1' : '2.0.0', lastResponse: response, lastMx: 'mx.example', updatedAt: at + 500 }],
    });
    store.appendEvent({
      type: 'attempt', id: randomUUID(), time: at + 500, queueId, messageId: `${queueId}@bench`, rcpt: email, attempt: 1, status, stage: bad ? 'rcpt' : 'data',
      code: bad ? 550 : 250, enhanced: bad ? '5.1.1' : '2.0.0', response, mx: 'mx.example', ip: '192.0.2.1', tls: true, startedAt: at, finishedAt: at + 500,
      ...(bad ? { reason: 'userunknown', category: 'Invalid Email', hard: true } : {}),
    });
    store.putRecipient({
      email, invalid: bad, reason: bad ? 'userunknown' : null, category: bad ? 'Invalid Email' : null, lastStatus: status, lastEventAt: at + 500, lastQueueId: queueId,
      lastResponse: response, consecutiveFailures: bad ? 1 : 0, attemptsSinceFlag: 0, flaggedAt: bad ? at + 500 : null, deliveredCount: bad ? 0 : 1, failedCount: bad ? 1 : 0,
      suppressed: false, suppressedAt: null, suppressedReason: null, reconciledCount: 0,
    });
  }
  const fillMs = performance.now() - t0;
  await store.flush();
  // The store's own cost per call, to tell it apart from the HTTP layer's.
  const time = (fn, n = 5) => {
    fn();
    const s = performance.now();
    for (let i = 0; i < n; i++) fn();
    return (performance.now() - s) / n;
  };
  const storeMs = {
    listMessages: time(() => store.listMessages({ limit: 50 })),
    listRecipientsFlagged: time(() => store.listRecipients({ invalid: true })),
    getRecipient: time(() => store.getRecipient('user77@example77.org'), 1000),
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
  console.log(`store calls alone: listMessages ${sm.listMessages.toFixed(1)} ms, listRecipients({invalid}) ${sm.listRecipientsFlagged.toFixed(1)} ms, getRecipient ${(sm.getRecipient * 1000).toFixed(1)} µs`);
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
