// Every read the API makes of the PostgreSQL store, at scale, on a private cluster: seeds recipients,
// messages and events with SQL (fast), then times each query kind through PostgresStore (p50/p99 ms)
// and checks with auto_explain that none reads a large table whole (a Seq Scan on it).
//
//   npm run build && node bench/pg-queries.mjs
//   BENCH_PG_RECIPIENTS (1,000,000)  BENCH_PG_MESSAGES (300,000)  BENCH_PG_EVENTS (1,000,000)  BENCH_PG_RUNS (200 per kind)
import { startCluster, pgUnavailable } from '../scripts/pg/cluster.mjs';
import { numArg, percentile, requireBuild, round } from './lib/util.mjs';

requireBuild();
const skip = pgUnavailable();
if (skip) {
  console.log(JSON.stringify({ bench: 'pg-queries', skipped: skip }));
  process.exit(0);
}
const { PostgresStore } = await import('../dist/store/postgres/index.js');
const R = numArg('recipients', 'BENCH_PG_RECIPIENTS', 1_000_000);
const M = numArg('messages', 'BENCH_PG_MESSAGES', 300_000);
const E = numArg('events', 'BENCH_PG_EVENTS', 1_000_000);
const RUNS = numArg('runs', 'BENCH_PG_RUNS', 200);
const quiet = { info() {}, warn() {}, error() {}, debug() {} };
const clock = { now: Date.now };
const T0 = Date.now() - 20 * 86_400_000;

const cluster = await startCluster({ settings: { shared_buffers: '256MB' } });
const url = await cluster.createDatabase('queries');
const seeder = new PostgresStore({ url, logger: quiet, clock, pruneIntervalMs: 0 });
await seeder.open();
const seedStart = Date.now();
// Recipient i: every 100th flagged (userunknown / Invalid Email), every 1000th suppressed.
await seeder.query(`INSERT INTO recipients (addr_key, invalid, suppressed, reason, category, flagged_at, suppressed_at, suppressed_reason, active_at, record)
  SELECT 'r' || i || '@rcpt.test', i % 100 = 0, i % 1000 = 0, CASE WHEN i % 100 = 0 THEN 'userunknown' END, CASE WHEN i % 100 = 0 THEN 'Invalid Email' END,
         NULL, NULL, NULL, $1::bigint + i,
         jsonb_build_object('email', 'r' || i || '@rcpt.test', 'invalid', i % 100 = 0, 'suppressed', i % 1000 = 0, 'lastEventAt', $1::bigint + i,
           'reason', CASE WHEN i % 100 = 0 THEN 'userunknown' END, 'category', CASE WHEN i % 100 = 0 THEN 'Invalid Email' END,
           'deliveredCount', 1, 'failedCount', 0, 'consecutiveFailures', 0)
    FROM generate_series(1, $2::int) AS i`, [T0, R]);
// Message i to recipient i % R: every 50th deferred (queued), every 20th bounced, the rest delivered.
await seeder.query(`INSERT INTO messages (queue_id, message_id, received_at, status, rcpt_keys, rcpt_statuses, rcpt_key_status, record)
  SELECT 'M' || i, 'M' || i || '@bench.test', $1::bigint + i * 1000, CASE WHEN st = 'deferred' THEN 'queued' ELSE 'done' END,
         ARRAY[k], ARRAY[st], ARRAY[st || ':' || k],
         jsonb_build_object('queueId', 'M' || i, 'messageId', 'M' || i || '@bench.test', 'from', 's@bench.test', 'user', NULL, 'clientIp', '127.0.0.1',
           'size', 2048, 'receivedAt', $1::bigint + i * 1000, 'nextAttemptAt', NULL, 'status', CASE WHEN st = 'deferred' THEN 'queued' ELSE 'done' END,
           'rcpts', jsonb_build_array(jsonb_build_object('rcpt', k, 'status', st, 'attempts', 1, 'lastCode', 250, 'lastEnhanced', NULL,
             'lastResponse', '250 ok', 'lastMx', 'mx.test', 'updatedAt', $1::bigint + i * 1000)))
    FROM (SELECT i, 'r' || (i % $3::int + 1) || '@rcpt.test' AS k,
                 CASE WHEN i % 50 = 0 THEN 'deferred' WHEN i % 20 = 1 THEN 'bounced' ELSE 'delivered' END AS st
            FROM generate_series(1, $2::int) AS i) AS x`, [T0, M, R]);
// Event j: an attempt for message j % M (a failure with a reason for the bounced ones).
await seeder.query(`INSERT INTO events (id, time, type, queue_id, rcpt_key, reason, category, failure, node, payload)
  SELECT 'E' || j, $1::bigint + (j % $2::int) * 1000 + 10, 'attempt', 'M' || m, k, r, c, r IS NOT NULL, 'seed',
         jsonb_build_object('type', 'attempt', 'id', 'E' || j, 'time', $1::bigint + m * 1000 + 10, 'queueId', 'M' || m, 'rcpt', k,
           'status', CASE WHEN r IS NULL THEN 'delivered' ELSE 'bounced' END, 'reason', r, 'category', c, 'response', '250 2.0.0 ok')
    FROM (SELECT j, j % $2::int + 1 AS m, 'r' || ((j % $2::int + 1) % $3::int + 1) || '@rcpt.test' AS k,
                 CASE WHEN (j % $2::int + 1) % 20 = 1 THEN (ARRAY['userunknown', 'mailboxfull', 'blocked'])[(j % 3) + 1] END AS r,
                 CASE WHEN (j % $2::int + 1) % 20 = 1 THEN (ARRAY['Invalid Email', 'Mailbox Error', 'Blocked'])[(j % 3) + 1] END AS c
            FROM generate_series(1, $4::int) AS j) AS x`, [T0, M, R, E]);
// As autovacuum leaves a settled table: statistics and the visibility map (index-only scans).
await seeder.query('VACUUM ANALYZE');
const seedMs = Date.now() - seedStart;
await seeder.close();

const rnd = (n) => 1 + Math.floor(Math.random() * n);
const rcpt = () => `R${rnd(R)}@Rcpt.Test`.replace(/^R/, 'r');
const middle = T0 + Math.floor(M / 2) * 1000;
const kinds = {
  'messages: newest page': (s) => s.pageMessages({}, { limit: 50 }),
  'messages: page 2 by cursor': async (s) => s.pageMessages({}, { limit: 50, cursor: (await s.pageMessages({}, { limit: 50 })).next }),
  'messages: status queued': (s) => s.pageMessages({ status: 'queued' }, { limit: 50 }),
  'messages: one recipient': (s) => s.pageMessages({ rcpt: rcpt() }, { limit: 50 }),
  'messages: recipients deferred': (s) => s.pageMessages({ rcptStatus: 'deferred' }, { limit: 50 }),
  'messages: one recipient bounced': (s) => s.pageMessages({ rcpt: rcpt(), rcptStatus: 'bounced' }, { limit: 50 }),
  'messages: failed userunknown': (s) => s.pageMessages({ failedReason: 'userunknown' }, { limit: 50 }),
  'messages: failed Blocked, one recipient': (s) => s.pageMessages({ failedCategory: 'Blocked', rcpt: rcpt() }, { limit: 50 }),
  'messages: one hour, with total': (s) => s.pageMessages({ since: middle, until: middle + 3_600_000 }, { limit: 50, withTotal: true }),
  'messages: count queued': (s) => s.countMessages({ status: 'queued' }),
  'messages: by Message-ID': (s) => s.findByMessageId(`M${rnd(M)}@bench.test`),
  'messages: 24 hourly buckets': (s) => s.countMessagesByBucket({ since: middle, until: middle + 86_400_000, origin: middle, bucketMs: 3_600_000 }),
  'recipient: lookup': (s) => s.getRecipient(rcpt()),
  'recipients: newest page': (s) => s.pageRecipients({}, { limit: 50 }),
  'recipients: flagged, with total': (s) => s.pageRecipients({ invalid: true }, { limit: 50, withTotal: true }),
  'recipients: suppressed': (s) => s.pageRecipients({ suppressed: true }, { limit: 50 }),
  'recipients: category': (s) => s.pageRecipients({ category: 'Invalid Email' }, { limit: 50 }),
  'recipients: prefix': (s) => s.pageRecipients({ prefix: `r${rnd(R)}` }, { limit: 50 }),
  'events: one recipient': (s) => s.eventsForRecipient(rcpt()),
  'events: one message': (s) => s.eventsForMessage(`M${rnd(M)}`),
};

// Timings.
const store = new PostgresStore({ url, logger: quiet, clock, pruneIntervalMs: 0 });
await store.open();
const timings = {};
for (const [name, run] of Object.entries(kinds)) {
  for (let i = 0; i < 5; i++) await run(store); // warm the cache
  const ms = [];
  for (let i = 0; i < RUNS; i++) {
    const t = process.hrtime.bigint();
    await run(store);
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  ms.sort((a, b) => a - b);
  timings[name] = { p50: round(percentile(ms, 50), 2), p99: round(percentile(ms, 99), 2) };
}
await store.close();

// Plans: each kind once more with auto_explain logging its plan; a Seq Scan on a seeded table is a missing index.
const explained = `${url}?options=${encodeURIComponent('-c session_preload_libraries=auto_explain -c auto_explain.log_min_duration=0 -c auto_explain.log_format=json -c auto_explain.log_nested_statements=on')}`;
const probe = new PostgresStore({ url: explained, logger: quiet, clock, pruneIntervalMs: 0, poolSize: 2 });
await probe.open();
const seqScans = {};
for (const [name, run] of Object.entries(kinds)) {
  const from = cluster.log().length;
  await run(probe);
  await new Promise((r) => setTimeout(r, 50));
  const text = cluster.log().slice(from);
  const scans = [...text.matchAll(/"Node Type": "Seq Scan",[^}]*?"Relation Name": "(\w+)"/gs)].map((m) => m[1]).filter((t) => ['messages', 'recipients', 'events'].includes(t));
  if (scans.length) seqScans[name] = [...new Set(scans)];
}
await probe.close();
await cluster.destroy();

for (const [name, t] of Object.entries(timings)) console.error(`${name.padEnd(42)} p50 ${String(t.p50).padStart(7)} ms  p99 ${String(t.p99).padStart(7)} ms${seqScans[name] ? `  SEQ SCAN ${seqScans[name].join(',')}` : ''}`);
console.error(`seeded ${R} recipients, ${M} messages, ${E} events in ${seedMs} ms`);
console.log(JSON.stringify({ bench: 'pg-queries', recipients: R, messages: M, events: E, seedMs, runs: RUNS, timings, seqScans }));
