// State at scale on PostgreSQL (issue 12): memory and start-up of a node whose database holds
// 1,000,000 recipients, 1,000,000 messages and 10,000,000 events, against the same node on an empty
// database; then the API on the full one (filtered message list, recipient lookup): req/s, p99.
//
//   npm run bench:scale-pg
//   node bench/scale-pg.mjs
//     BENCH_PG_RECIPIENTS=1000000   recipients (and messages, one each)
//     BENCH_PG_EVENTS=10000000      delivery-attempt events, spread over the recipients and 30 days
//     BENCH_PG_SECONDS=10           autocannon seconds per API case (20 connections)
//
// The rows are written by SQL (generate_series) in the exact shape the store writes (the migration
// makes the tables; the bench reads one row back through the store to check the shape). The
// cluster is private (scripts/pg/cluster.mjs), fsync on; everything is removed at the end.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startSmtpSink } from './lib/postfix-tools.mjs';
import { startRebound } from './lib/rebound.mjs';
import { REPO_ROOT, freePort, machineInfo, numArg, requireBuild, round } from './lib/util.mjs';
import { pgUnavailable, startCluster } from '../scripts/pg/cluster.mjs';

const RECIPIENTS = numArg('recipients', 'BENCH_PG_RECIPIENTS', 1_000_000);
const EVENTS = numArg('events', 'BENCH_PG_EVENTS', 10_000_000);
const SECONDS = numArg('seconds', 'BENCH_PG_SECONDS', 10);
const TOKEN = 'bench-scale-pg-token';
const TOKEN_HASH = `sha256$${createHash('sha256').update(TOKEN).digest('hex')}`;
const CHUNK = 500_000;

requireBuild();
const why = pgUnavailable();
if (why) {
  console.error(`bench:scale-pg needs PostgreSQL: ${why}`);
  process.exit(2);
}
const tmp = mkdtempSync(path.join(os.tmpdir(), 'rebound-scale-pg-'));
const cluster = await startCluster({ settings: { shared_buffers: '256MB', max_wal_size: '4GB' } });
const sink = await startSmtpSink({ port: await freePort() });
const { PostgresStore } = await import(path.join(REPO_ROOT, 'dist', 'store', 'postgres', 'index.js'));
const silent = { info() {}, warn() {}, error() {}, debug() {}, child() { return silent; } };

async function migrateEmpty(url) {
  const s = new PostgresStore({ url, logger: silent, clock: { now: () => Date.now() } });
  await s.open();
  await s.close();
}

async function timed(label, fn) {
  const t0 = Date.now();
  const r = await fn();
  console.log(`  ${label}: ${round((Date.now() - t0) / 1000, 1)} s`);
  return r;
}

/** Seeds in chunks, one transaction each, so WAL and memory stay bounded. */
async function seed(url) {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  const now = Date.now();
  const DAY = 86_400_000;
  try {
    for (let lo = 0; lo < RECIPIENTS; lo += CHUNK) {
      const hi = Math.min(RECIPIENTS, lo + CHUNK) - 1;
      await timed(`recipients ${lo}..${hi}`, () => db.query(`
        INSERT INTO recipients (addr_key, invalid, suppressed, reason, category, flagged_at, suppressed_at, suppressed_reason, active_at, record)
        SELECT 'user' || i || '@example' || (i % 500) || '.org', i % 50 = 0, i % 200 = 0,
               CASE WHEN i % 50 = 0 THEN 'userunknown' END, CASE WHEN i % 50 = 0 THEN 'Invalid Email' END,
               CASE WHEN i % 50 = 0 THEN $1::bigint - (i % 30)::bigint * ${DAY} END, CASE WHEN i % 200 = 0 THEN $1::bigint END, CASE WHEN i % 200 = 0 THEN 'complaint' END,
               $1::bigint - (i % 30)::bigint * ${DAY} - i,
               jsonb_build_object('email', 'user' || i || '@example' || (i % 500) || '.org', 'invalid', i % 50 = 0,
                 'reason', CASE WHEN i % 50 = 0 THEN 'userunknown' END, 'category', CASE WHEN i % 50 = 0 THEN 'Invalid Email' END,
                 'lastStatus', CASE WHEN i % 50 = 0 THEN 'bounced' ELSE 'delivered' END, 'lastEventAt', $1::bigint - (i % 30)::bigint * ${DAY} - i,
                 'lastQueueId', 'Q' || i, 'lastResponse', '250 2.0.0 Ok: queued as ' || md5(i::text),
                 'consecutiveFailures', (i % 50 = 0)::int, 'attemptsSinceFlag', 0, 'flaggedAt', CASE WHEN i % 50 = 0 THEN $1::bigint END,
                 'deliveredCount', 3, 'failedCount', (i % 50 = 0)::int, 'suppressed', i % 200 = 0,
                 'suppressedAt', CASE WHEN i % 200 = 0 THEN $1::bigint END, 'suppressedReason', CASE WHEN i % 200 = 0 THEN 'complaint' END, 'reconciledCount', 0)
        FROM generate_series($2::int, $3::int) AS i`, [now, lo, hi]));
      await timed(`messages ${lo}..${hi}`, () => db.query(`
        INSERT INTO messages (queue_id, message_id, received_at, status, rcpt_keys, rcpt_statuses, rcpt_key_status, record)
        SELECT 'Q' || i, 'm' || i || '@shop.example', $1::bigint - (i % 30)::bigint * ${DAY} - i, 'done',
               ARRAY['user' || i || '@example' || (i % 500) || '.org'], ARRAY[st], ARRAY[st || ':user' || i || '@example' || (i % 500) || '.org'],
               jsonb_build_object('queueId', 'Q' || i, 'messageId', 'm' || i || '@shop.example', 'from', 'shop@example.com', 'user', 'shop',
                 'clientIp', '127.0.0.1', 'size', 2000, 'receivedAt', $1::bigint - (i % 30)::bigint * ${DAY} - i, 'nextAttemptAt', null, 'status', 'done',
                 'rcpts', jsonb_build_array(jsonb_build_object('rcpt', 'user' || i || '@example' || (i % 500) || '.org', 'status', st, 'attempts', 1,
                   'lastCode', CASE WHEN st = 'bounced' THEN 550 ELSE 250 END, 'lastEnhanced', null, 'lastResponse', 'seeded', 'lastMx', '127.0.0.1',
                   'updatedAt', $1::bigint - (i % 30)::bigint * ${DAY} - i)))
        FROM (SELECT i, CASE WHEN i % 50 = 0 THEN 'bounced' ELSE 'delivered' END AS st FROM generate_series($2::int, $3::int) AS i) x`, [now, lo, hi]));
    }
    for (let lo = 0; lo < EVENTS; lo += CHUNK) {
      const hi = Math.min(EVENTS, lo + CHUNK) - 1;
      await timed(`events ${lo}..${hi}`, () => db.query(`
        INSERT INTO events (id, time, type, queue_id, rcpt_key, reason, category, failure, node, payload)
        SELECT md5(j::text), t, 'attempt', 'Q' || r, k, CASE WHEN f THEN 'userunknown' END, CASE WHEN f THEN 'Invalid Email' END, f, 'seed',
               jsonb_build_object('type', 'attempt', 'id', md5(j::text), 'time', t, 'queueId', 'Q' || r, 'messageId', 'm' || r || '@shop.example',
                 'rcpt', k, 'attempt', 1, 'stage', 'rcpt', 'code', CASE WHEN f THEN 550 ELSE 250 END, 'enhanced', null, 'response', 'seeded',
                 'mx', '127.0.0.1', 'ip', '127.0.0.1', 'tls', false, 'startedAt', t, 'finishedAt', t,
                 'status', CASE WHEN f THEN 'bounced' ELSE 'delivered' END, 'reason', CASE WHEN f THEN 'userunknown' END,
                 'category', CASE WHEN f THEN 'Invalid Email' END, 'hard', f)
        FROM (SELECT j, j % $4 AS r, 'user' || (j % $4) || '@example' || ((j % $4) % 500) || '.org' AS k,
                     $1::bigint - (j % (30 * 24))::bigint * 3600000 - (j % 1000) AS t, (j % $4) % 50 = 0 AS f
              FROM generate_series($2::bigint, $3::bigint) AS j) x`, [now, lo, hi, RECIPIENTS]));
    }
    await timed('ANALYZE', () => db.query('ANALYZE'));
    const size = await db.query(`SELECT pg_size_pretty(pg_database_size(current_database())) AS s`);
    console.log(`  database size ${size.rows[0].s}`);
  } finally {
    await db.end();
  }
}

/** The seeded rows read back through the store as the records it would have written. */
async function checkShape(url) {
  const s = new PostgresStore({ url, logger: silent, clock: { now: () => Date.now() } });
  await s.open({ readOnly: true });
  try {
    const r = await s.getRecipient('User50@Example50.org');
    const m = await s.getMessage('Q50');
    const failed = await s.pageMessages({ failedCategory: 'Invalid Email', rcpt: 'user50@example50.org' }, { limit: 5 });
    const ok = r?.invalid === true && r.reason === 'userunknown' && m?.rcpts[0]?.status === 'bounced' && failed.items.some((x) => x.queueId === 'Q50');
    if (!ok) throw new Error(`seeded rows do not read back as the store's records: ${JSON.stringify({ r, m, failed: failed.items.length })}`);
    console.log('  seeded rows read back through the store: ok');
  } finally {
    await s.close();
  }
}

async function node(url, label) {
  const dir = path.join(tmp, label);
  const r = await startRebound({
    dir, smarthostPort: sink.port, startTimeoutMs: 120_000,
    overrides: { store: { engine: 'postgres', postgres: { url, nodeId: label } }, http: { port: await freePort(), tokens: [TOKEN_HASH] } },
  });
  // Let start-up work settle (first claims, listeners) before reading memory.
  await new Promise((res) => setTimeout(res, 2_000));
  return { r, startMs: round(r.startMs, 0), rssMb: round(r.rssKb() / 1024, 0), http: r.config.http.port };
}

const results = { bench: 'scale-pg', recipients: RECIPIENTS, events: EVENTS, cpus: machineInfo().cpus };
try {
  console.log(`PostgreSQL scale bench: ${RECIPIENTS.toLocaleString()} recipients, ${RECIPIENTS.toLocaleString()} messages, ${EVENTS.toLocaleString()} events`);
  const emptyUrl = await cluster.createDatabase('fresh');
  await migrateEmpty(emptyUrl);
  const fullUrl = await cluster.createDatabase('seeded');
  await migrateEmpty(fullUrl);
  console.log('seeding:');
  await seed(fullUrl);
  await checkShape(fullUrl);

  const empty = await node(emptyUrl, 'empty');
  console.log(`node on the empty database: start ${empty.startMs} ms, RSS ${empty.rssMb} MB`);
  await empty.r.stop();
  const full = await node(fullUrl, 'full');
  console.log(`node on the full database:  start ${full.startMs} ms, RSS ${full.rssMb} MB (${round((full.rssMb / empty.rssMb - 1) * 100, 0)} % vs empty)`);
  results.empty = { startMs: empty.startMs, rssMb: empty.rssMb };
  results.full = { startMs: full.startMs, rssMb: full.rssMb };

  const { default: autocannon } = await import('autocannon');
  const base = `http://127.0.0.1:${full.http}`;
  const headers = { authorization: `Bearer ${TOKEN}` };
  const rnd = () => Math.floor(Math.random() * RECIPIENTS);
  const cases = [
    ['GET /api/messages?status=bounced&limit=50', { path: '/api/messages?status=bounced&limit=50' }],
    ['GET /api/messages?recipient={random}', { setupRequest: (req) => { const i = rnd(); return { ...req, path: `/api/messages?recipient=user${i}%40example${i % 500}.org` }; } }],
    ['GET /api/messages?category=Invalid%20Email&limit=50', { path: '/api/messages?category=Invalid%20Email&limit=50' }],
    ['  the same, total=false', { path: '/api/messages?category=Invalid%20Email&limit=50&total=false' }],
    ['GET /api/messages?status=bounced&limit=50&total=false', { path: '/api/messages?status=bounced&limit=50&total=false' }],
    ['GET /api/recipients/{random}', { setupRequest: (req) => { const i = rnd(); return { ...req, path: `/api/recipients/user${i}%40example${i % 500}.org` }; } }],
    ['GET /api/recipients?flagged=true', { path: '/api/recipients?flagged=true' }],
  ];
  const rows = [];
  for (const [name, req] of cases) {
    const r = await autocannon({ url: base, connections: 20, duration: SECONDS, headers, requests: [{ method: 'GET', ...req }] });
    rows.push({ case: name, 'req/s': round(r.requests.total / r.duration, 1), 'p50 ms': r.latency.p50, 'p99 ms': r.latency.p99, errors: r.non2xx + r.errors + r.timeouts });
  }
  console.table(rows);
  results.api = rows;
  full.rssAfterApiMb = round(full.r.rssKb() / 1024, 0);
  console.log(`node RSS after the API runs: ${full.rssAfterApiMb} MB`);
  results.full.rssAfterApiMb = full.rssAfterApiMb;
  await full.r.stop();
  console.log(JSON.stringify(results));
} catch (err) {
  console.error(`scale-pg bench failed: ${err.stack ?? err}`);
  process.exitCode = 1;
} finally {
  await sink.stop().catch(() => undefined);
  await cluster.destroy().catch(() => undefined);
  rmSync(tmp, { recursive: true, force: true });
}
