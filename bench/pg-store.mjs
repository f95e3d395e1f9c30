// Durable writes per second of the PostgreSQL store on a private cluster (fsync on), by kind and by
// how many callers write at once, beside the same events written as batches (what a group-commit
// writer in front of the store would make of them): does the store need its own group commit?
//
//   npm run build && node bench/pg-store.mjs      BENCH_PG_OPS (per case, default 3000), BENCH_PG_POOL (10)
import { startCluster, pgUnavailable } from '../scripts/pg/cluster.mjs';
import { numArg, requireBuild, round } from './lib/util.mjs';

requireBuild();
const skip = pgUnavailable();
if (skip) {
  console.log(JSON.stringify({ bench: 'pg-store', skipped: skip }));
  process.exit(0);
}
const { PostgresStore } = await import('../dist/store/postgres/index.js');
const OPS = numArg('ops', 'BENCH_PG_OPS', 3000);
const POOL = numArg('pool', 'BENCH_PG_POOL', 10);
const quiet = { info() {}, warn() {}, error() {}, debug() {} };

const t0 = Date.now();
const cluster = await startCluster();
const clusterStartMs = Date.now() - t0;

let n = 0;
const id = () => `B${++n}`;
const message = (q) => ({
  queueId: q, messageId: `${q}@bench.test`, from: 'sender@bench.test', user: null, clientIp: '127.0.0.1', size: 2048, receivedAt: Date.now(),
  nextAttemptAt: null, status: 'queued',
  rcpts: [{ rcpt: `${q}@rcpt.test`, status: 'queued', attempts: 0, lastCode: null, lastEnhanced: null, lastResponse: null, lastMx: null, updatedAt: Date.now() }],
});
const attempt = (q) => ({
  type: 'attempt', id: id(), time: Date.now(), queueId: q, messageId: null, rcpt: `${q}@rcpt.test`, attempt: 1, status: 'delivered', stage: 'eod',
  code: 250, enhanced: '2.0.0', response: '250 2.0.0 Ok: queued as ABC', mx: 'mx.bench.test', ip: '127.0.0.1', tls: false, startedAt: Date.now(), finishedAt: Date.now(),
});

/** `ops` calls of `op`, `concurrency` at a time; durable writes per second. */
async function load(op, ops, concurrency) {
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < ops) {
      next++;
      await op();
    }
  }));
  const s = Number(process.hrtime.bigint() - start) / 1e9;
  return round(ops / s, 0);
}

const url = await cluster.createDatabase('bench');
const store = new PostgresStore({ url, poolSize: POOL, logger: quiet, clock: { now: Date.now } });
await store.open();
const results = [];
for (const concurrency of [1, 16, 64]) {
  const ops = concurrency === 1 ? Math.min(OPS, 1000) : OPS;
  results.push({
    concurrency,
    putMessage: await load(() => store.putMessage(message(id())), ops, concurrency),
    appendEvent: await load(() => store.appendEvents([attempt(id())]), ops, concurrency),
    outcome: await load(() => { const q = id(); return store.transaction(async () => { await store.putMessage(message(q)); await store.appendEvents([attempt(q)]); }); }, ops, concurrency),
    updateRecipient: await load(() => {
      const email = `r${n++ % 500}@rcpt.test`;
      return store.updateRecipient(email, (prev) => ({ record: { ...(prev ?? { email, invalid: false, suppressed: false }), deliveredCount: (prev?.deliveredCount ?? 0) + 1 } }));
    }, ops, concurrency),
  });
}
// The same events, 64 per statement: the ceiling a group-commit writer could reach.
const batched = await load(() => store.appendEvents(Array.from({ length: 64 }, () => attempt(id()))), Math.ceil(OPS / 64) * 4, 4) * 64;
await store.close();
await cluster.destroy();

const out = { bench: 'pg-store', clusterStartMs, pool: POOL, perSecond: results, appendEventBatched64: batched };
for (const r of results) console.error(`concurrency ${r.concurrency}: putMessage ${r.putMessage}/s, appendEvents(1) ${r.appendEvent}/s, outcome tx ${r.outcome}/s, updateRecipient ${r.updateRecipient}/s`);
console.error(`appendEvents in batches of 64: ${batched} events/s; cluster start ${clusterStartMs} ms`);
console.log(JSON.stringify(out));
