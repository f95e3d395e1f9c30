// `rebound migrate --to postgres` on a big lowdb store (issue 12): how long the copy takes, the
// migrating process's peak RSS, the progress lines it prints on stderr, and a second run (nothing new).
//
//   npm run bench:migrate
//   node bench/migrate.mjs
//     BENCH_MIGRATE_RECIPIENTS=100000   recipient records (and as many finished messages, one recipient each)
//     BENCH_MIGRATE_EVENTS=2            delivery-attempt events per recipient
//     BENCH_MIGRATE_QUEUED=1000         messages left in the spool (moved into the shared queue)
//     BENCH_MIGRATE_HEAP_MB=0           run migrate with --max-old-space-size=this (0: node's default): how
//                                       much of its peak RSS is garbage the default heap lets pile up
//
// The lowdb store and spool are written through their own classes (dist/), the cluster is private
// (scripts/pg/cluster.mjs), fsync on; everything is removed at the end.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, REPO_ROOT, machineInfo, numArg, procStatusKb, requireBuild, round } from './lib/util.mjs';
import { pgUnavailable, startCluster } from '../scripts/pg/cluster.mjs';

const RECIPIENTS = numArg('recipients', 'BENCH_MIGRATE_RECIPIENTS', 100_000);
const EVENTS = numArg('events', 'BENCH_MIGRATE_EVENTS', 2);
const QUEUED = numArg('queued', 'BENCH_MIGRATE_QUEUED', 1_000);
const HEAP_MB = numArg('heap', 'BENCH_MIGRATE_HEAP_MB', 0);

requireBuild();
const why = pgUnavailable();
if (why) {
  console.error(`bench:migrate needs PostgreSQL: ${why}`);
  process.exit(2);
}
const dist = (p) => path.join(REPO_ROOT, 'dist', p);
const { LowdbStore } = await import(dist('store/index.js'));
const { Spool } = await import(dist('spool/index.js'));
const { silentLogger } = await import(dist('util/logger.js'));
const { systemClock } = await import(dist('util/clock.js'));

const tmp = mkdtempSync(path.join(os.tmpdir(), 'rebound-bench-migrate-'));
const dataDir = path.join(tmp, 'data');
const cluster = await startCluster({ settings: { shared_buffers: '256MB', max_wal_size: '4GB' } });
try {
  // --- seed ---------------------------------------------------------------------------------------
  let t0 = performance.now();
  const store = new LowdbStore({ dir: path.join(dataDir, 'store'), shards: 64, flushIntervalMs: 200, eventRetentionDays: 30, logger: silentLogger(), clock: systemClock });
  await store.open();
  const now = Date.now();
  for (let i = 0; i < RECIPIENTS; i++) {
    const rcpt = `User${i}@Example.org`;
    const q = `4F${(0x10000000 + i).toString(16).toUpperCase()}`;
    const bounced = i % 50 === 0;
    const at = now - i * 1000;
    store.putMessage({
      queueId: q, messageId: `${i}.${now}@app.example.com`, from: 'app@example.com', user: 'app', clientIp: '127.0.0.1', size: 2048, receivedAt: at, nextAttemptAt: null,
      rcpts: [{ rcpt, status: bounced ? 'bounced' : 'delivered', attempts: 1, lastCode: bounced ? 550 : 250, lastEnhanced: bounced ? '5.1.1' : '2.0.0', lastResponse: bounced ? '550 5.1.1 User unknown' : `250 2.0.0 Ok: queued as ${q}`, lastMx: 'smarthost.example.net', updatedAt: at }],
      status: 'done',
    });
    store.putRecipient({
      email: rcpt, invalid: bounced, reason: bounced ? 'userunknown' : null, category: bounced ? 'Invalid Email' : null,
      lastStatus: bounced ? 'bounced' : 'delivered', lastEventAt: at, lastQueueId: q, lastResponse: bounced ? '550 5.1.1 User unknown' : `250 2.0.0 Ok: queued as ${q}`,
      consecutiveFailures: bounced ? 1 : 0, attemptsSinceFlag: 0, flaggedAt: bounced ? at : null, deliveredCount: bounced ? 0 : 1, failedCount: bounced ? 1 : 0,
      suppressed: i % 500 === 1, suppressedAt: i % 500 === 1 ? at : null, suppressedReason: i % 500 === 1 ? 'complaint' : null, reconciledCount: 0,
    });
    for (let k = 0; k < EVENTS; k++) {
      const time = at - k * 60_000;
      store.appendEvents([{
        type: 'attempt', id: `e${i}-${k}`, time, queueId: q, messageId: `${i}.${now}@app.example.com`, rcpt, attempt: k + 1,
        status: bounced ? 'bounced' : 'delivered', stage: bounced ? 'rcpt' : 'eod', code: bounced ? 550 : 250, enhanced: bounced ? '5.1.1' : '2.0.0',
        response: bounced ? '550 5.1.1 User unknown' : `250 2.0.0 Ok: queued as ${q}`, mx: 'smarthost.example.net', ip: '192.0.2.25', tls: true, startedAt: time - 40, finishedAt: time,
        ...(bounced ? { reason: 'userunknown', category: 'Invalid Email', hard: true } : {}),
      }]);
    }
    if (i % 20_000 === 19_999) await store.durable();
  }
  await store.close();
  const spool = new Spool({ dir: path.join(dataDir, 'spool'), quarantineDir: path.join(dataDir, 'quarantine'), segmentBytes: 64 << 20, fsync: true, logger: silentLogger() });
  await spool.open();
  const body = Buffer.from(`From: app@example.com\r\nTo: queued@example.org\r\nSubject: queued\r\n\r\n${'x'.repeat(2000)}\r\n`);
  await Promise.all(Array.from({ length: QUEUED }, (_, i) => spool.accept({ queueId: `Q${String(i).padStart(10, '0')}`, from: 'app@example.com', rcpts: [`queued${i}@example.org`], receivedAt: now, user: 'app', clientIp: '127.0.0.1', messageId: null, size: body.length, smtpUtf8: false, bodyType: '7bit' }, body)));
  await spool.close();
  const seedMs = performance.now() - t0;

  const file = path.join(tmp, 'rebound.json');
  writeFileSync(file, JSON.stringify({ dataDir, log: { level: 'warn' } }));
  const url = await cluster.createDatabase('bench_migrate');

  // --- migrate, twice ------------------------------------------------------------------------------
  const runMigrate = () => new Promise((resolve, reject) => {
    t0 = performance.now();
    const child = spawn(process.execPath, [...(HEAP_MB ? [`--max-old-space-size=${HEAP_MB}`] : []), CLI, 'migrate', '--to', 'postgres', '--url', url, '--config', file, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let hwmKb = 0;
    child.stdout.setEncoding('utf8').on('data', (s) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s) => (err += s));
    const poll = setInterval(() => (hwmKb = Math.max(hwmKb, procStatusKb(child.pid, 'VmHWM') || 0)), 100);
    child.once('exit', (code) => {
      clearInterval(poll);
      if (code !== 0) return reject(new Error(`migrate exited ${code}:\n${err}`));
      resolve({ ms: performance.now() - t0, report: JSON.parse(out), progressLines: err.split('\n').filter((l) => l.startsWith('migrate:')), peakRssMb: round(hwmKb / 1024) });
    });
  });
  // What the lowdb store alone costs to open (read-only, as migrate opens it): the floor of migrate's RSS.
  const openRssMb = await new Promise((resolve, reject) => {
    const code = `const { LowdbStore } = await import(${JSON.stringify(dist('store/index.js'))}); const { silentLogger } = await import(${JSON.stringify(dist('util/logger.js'))});
      const s = new LowdbStore({ dir: ${JSON.stringify(path.join(dataDir, 'store'))}, shards: 64, flushIntervalMs: 200, eventRetentionDays: 30, logger: silentLogger(), clock: { now: () => Date.now() } });
      await s.open({ readOnly: true }); console.log(process.memoryUsage().rss);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (x) => (out += x));
    child.once('exit', (c) => (c === 0 ? resolve(round(Number(out) / 2 ** 20)) : reject(new Error(`open probe exited ${c}`))));
  });
  const first = await runMigrate();
  const second = await runMigrate();
  const rows = RECIPIENTS * 2 + RECIPIENTS * EVENTS;
  console.log(JSON.stringify({
    machine: machineInfo(),
    heapMb: HEAP_MB || 'default',
    seeded: { recipients: RECIPIENTS, messages: RECIPIENTS, events: RECIPIENTS * EVENTS, queued: QUEUED, seedS: round(seedMs / 1000), lowdbOpenRssMb: openRssMb },
    first: {
      seconds: round(first.ms / 1000), rowsPerS: Math.round(rows / (first.ms / 1000)), peakRssMb: first.peakRssMb, progressLines: first.progressLines,
      copied: Object.fromEntries(['messages', 'recipients', 'flagged', 'suppressed', 'events', 'queued'].map((k) => [k, first.report[k]])),
    },
    second: { seconds: round(second.ms / 1000), peakRssMb: second.peakRssMb, nothingNew: second.report.nothingNew },
  }, null, 2));
} finally {
  await cluster.destroy();
  rmSync(tmp, { recursive: true, force: true });
}
