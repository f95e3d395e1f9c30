// Scale and memory (issue #6):
//  1. scale curve: relayed msg/s, RSS, start-up time and event-loop delay of a child Rebound whose store
//     holds 10k, 100k, 1M recipient records (created through the Store API before the child starts);
//  2. peak RSS (VmHWM) with 100,000 messages queued (the smarthost is a closed port, so they stay queued),
//     and the restart (spool replay) time and RSS with that queue;
//  3. event-loop delay p99 during bench/relay.mjs (run as a child; BENCH_SCALE_RELAY=0 skips it).
//
//   npm run bench:scale
//   node bench/scale.mjs
//     BENCH_SCALE_SIZES=10000,100000,1000000  recipient records per step
//     BENCH_SCALE_N=5000                      messages relayed per step (20 sessions, ~2 KB, recipients spread over the records)
//     BENCH_SCALE_BUDGET_MS=240000            per-step bound on seeding + start-up + run; a step over it is stopped
//                                             and the larger steps are skipped (the output says why)
//     BENCH_QUEUE_N=100000                    messages for the queued-memory test (BENCH_QUEUE_N=0 skips it)
//     BENCH_QUEUE_BUDGET_MS=600000            bound on that test; when it runs out, what was queued so far is reported
//     BENCH_SCALE_RELAY=0                     skip running bench/relay.mjs for the event-loop figure
//     BENCH_SCALE_COMPARE=/tmp/x              also: memory and start-up side by side with another built checkout
//                                             (`git worktree add --detach /tmp/x main && cd /tmp/x && npm run build`):
//                                             for each size each tree seeds its own store, opens it (heap bytes per
//                                             record) and starts Rebound on it (start-up time, RSS after start)
//     BENCH_COMPARE_SIZES=100000,1000000      recipient records for that comparison
//     BENCH_COMPARE_EVENTS=0                  delivery-attempt events per recipient seeded with it (in the retention)
//     BENCH_COMPARE_MESSAGES=0                also: heap bytes per finished message record (one recipient), this many, per tree
// Everything lives in a temp dir removed at the end; only this script's children are stopped.
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSmtpSink } from './lib/postfix-tools.mjs';
import { startRebound } from './lib/rebound.mjs';
import { runLoad } from './lib/smtp-load.mjs';
import { BENCH_DIR, REPO_ROOT, freePort, lastJsonLine, machineInfo, numArg, requireBuild, round, run } from './lib/util.mjs';

const self = fileURLToPath(import.meta.url);
const rcptOf = (i) => `user${i}@example.org`;

// ---- child mode: seed a store with COUNT recipient records, print one JSON line -------------------------------
// (REPO: the checkout whose store code writes them, default this one.) Each record is as unique as a real
// one: its own last queue id and last reply (a real 250 names the upstream's queue id).
if (process.argv[2] === '--seed') {
  const [dir, countArg, repo = REPO_ROOT, eventsArg = '0'] = process.argv.slice(3);
  const count = Number(countArg);
  const eventsPer = Number(eventsArg);
  const { LowdbStore } = await import(path.join(repo, 'dist', 'store', 'index.js'));
  const { silentLogger } = await import(path.join(repo, 'dist', 'util', 'logger.js'));
  const { systemClock } = await import(path.join(repo, 'dist', 'util', 'clock.js'));
  const t0 = performance.now();
  const store = new LowdbStore({ dir, shards: 64, flushIntervalMs: 200, eventRetentionDays: 30, logger: silentLogger(), clock: systemClock });
  await store.open();
  const now = Date.now();
  for (let i = 0; i < count; i++) {
    const delivered = i % 10 !== 0;
    const q = `4F${(0x10000000 + i).toString(16).toUpperCase()}`;
    store.putRecipient({
      email: rcptOf(i), invalid: i % 50 === 0, reason: i % 50 === 0 ? 'userunknown' : null, category: i % 50 === 0 ? 'Invalid Email' : null,
      lastStatus: delivered ? 'delivered' : 'bounced', lastEventAt: now - i * 1000, lastQueueId: `R${i.toString(36).padStart(11, '0')}`,
      lastResponse: delivered ? `250 2.0.0 Ok: queued as ${q}` : '550 5.1.1 <' + rcptOf(i) + '>: Recipient address rejected: User unknown',
      consecutiveFailures: delivered ? 0 : 1, attemptsSinceFlag: 0, flaggedAt: i % 50 === 0 ? now : null,
      deliveredCount: delivered ? 3 : 0, failedCount: delivered ? 0 : 1, suppressed: false, suppressedAt: null, suppressedReason: null, reconciledCount: 0,
      clearedBy: null, clearedAt: null, awaiting: null,
    });
    // Its delivery attempts within the retention (each a line in a day file, read back at start-up).
    for (let k = 0; k < eventsPer; k++) {
      const time = now - i * 1000 - k * 60_000;
      store.appendEvents([{
        type: 'attempt', id: `e${i}-${k}`, time, queueId: `${q}${k}`, messageId: `${i}.${k}@app.example.com`, rcpt: rcptOf(i), attempt: 1,
        status: delivered ? 'delivered' : 'bounced', stage: delivered ? 'eod' : 'rcpt', code: delivered ? 250 : 550, enhanced: delivered ? '2.0.0' : '5.1.1',
        response: delivered ? `250 2.0.0 Ok: queued as ${q}` : `550 5.1.1 <${rcptOf(i)}>: Recipient address rejected: User unknown`,
        mx: 'smarthost.example.net', ip: '192.0.2.25', tls: true, startedAt: time - 40, finishedAt: time,
        ...(delivered ? {} : { reason: 'userunknown', category: 'Invalid Email', hard: true }),
      }]);
    }
    if (i % 50_000 === 49_999) await store.durable();
  }
  await store.close();
  const ms = performance.now() - t0;
  console.log(JSON.stringify({ count, ms: Math.round(ms), rssMb: Math.round(process.memoryUsage().rss / 2 ** 20) }));
  process.exit(0);
}

// ---- child mode (node --expose-gc): COUNT finished messages (one recipient each), heap bytes per message record ---
if (process.argv[2] === '--messages') {
  const [dir, countArg, repo = REPO_ROOT] = process.argv.slice(3);
  const count = Number(countArg);
  const { LowdbStore } = await import(path.join(repo, 'dist', 'store', 'index.js'));
  const { silentLogger } = await import(path.join(repo, 'dist', 'util', 'logger.js'));
  const { systemClock } = await import(path.join(repo, 'dist', 'util', 'clock.js'));
  const make = () => new LowdbStore({ dir, shards: 64, flushIntervalMs: 200, eventRetentionDays: 30, logger: silentLogger(), clock: systemClock });
  const store = make();
  await store.open();
  const now = Date.now();
  for (let i = 0; i < count; i++) {
    const q = `4F${(0x10000000 + i).toString(16).toUpperCase()}`;
    store.putMessage({
      queueId: q, messageId: `${i}.${now}@app.example.com`, from: 'app@example.com', user: 'app', clientIp: '127.0.0.1', size: 2048, receivedAt: now - i * 1000, nextAttemptAt: null,
      rcpts: [{ rcpt: rcptOf(i), status: 'delivered', attempts: 1, lastCode: 250, lastEnhanced: '2.0.0', lastResponse: `250 2.0.0 Ok: queued as ${q}`, lastMx: 'smarthost.example.net', updatedAt: now }],
      status: 'done',
    });
    if (i % 50_000 === 49_999) await store.durable();
  }
  await store.close();
  const again = make();
  globalThis.gc();
  const heap0 = process.memoryUsage().heapUsed;
  await again.open({ readOnly: true });
  globalThis.gc();
  console.log(JSON.stringify({ count, heapBytesPerMessage: Math.round((process.memoryUsage().heapUsed - heap0) / count), found: (await again.getMessage('4F10000000')) !== undefined }));
  process.exit(0);
}

// ---- child mode (node --expose-gc): open a seeded store, print its heap bytes per record and open time ----------
if (process.argv[2] === '--open') {
  const [dir, countArg, repo = REPO_ROOT] = process.argv.slice(3);
  const { LowdbStore } = await import(path.join(repo, 'dist', 'store', 'index.js'));
  const { silentLogger } = await import(path.join(repo, 'dist', 'util', 'logger.js'));
  const { systemClock } = await import(path.join(repo, 'dist', 'util', 'clock.js'));
  const store = new LowdbStore({ dir, shards: 64, flushIntervalMs: 200, eventRetentionDays: 30, logger: silentLogger(), clock: systemClock });
  globalThis.gc();
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  await store.open({ readOnly: true });
  const openMs = performance.now() - t0;
  globalThis.gc();
  const heap = process.memoryUsage().heapUsed - heap0;
  const found = (await store.getRecipient(rcptOf(Number(countArg) - 1))) !== undefined;
  console.log(JSON.stringify({ openMs: Math.round(openMs), heapMb: Math.round(heap / 2 ** 20), heapBytesPerRecord: Math.round(heap / Number(countArg)), found }));
  process.exit(0);
}

// ---- the bench ------------------------------------------------------------------------------------------------
const SIZES = (process.env.BENCH_SCALE_SIZES ?? '10000,100000,1000000').split(',').map(Number).filter((n) => n > 0);
const LOAD_N = numArg('n', 'BENCH_SCALE_N', 5_000);
const STEP_BUDGET_MS = numArg('budget', 'BENCH_SCALE_BUDGET_MS', 240_000);
const QUEUE_N = process.env.BENCH_QUEUE_N === '0' ? 0 : numArg('queue-n', 'BENCH_QUEUE_N', 100_000);
const QUEUE_BUDGET_MS = numArg('queue-budget', 'BENCH_QUEUE_BUDGET_MS', 600_000);
const RUN_RELAY = process.env.BENCH_SCALE_RELAY !== '0';
const COMPARE = process.env.BENCH_SCALE_COMPARE ?? null;
const COMPARE_SIZES = (process.env.BENCH_COMPARE_SIZES ?? '100000,1000000').split(',').map(Number).filter((n) => n > 0);
const COMPARE_EVENTS = numArg('compare-events', 'BENCH_COMPARE_EVENTS', 0);
const COMPARE_MESSAGES = numArg('compare-messages', 'BENCH_COMPARE_MESSAGES', 0);

requireBuild();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'rebound-scale-'));
const live = { sink: null, rebound: null };
let finished = false;

async function cleanup() {
  for (const k of ['rebound', 'sink']) {
    try { await live[k]?.stop(); } catch (err) { console.error(`cleanup ${k}: ${err.message}`); }
    live[k] = null;
  }
  rmSync(tmp, { recursive: true, force: true });
}
process.on('SIGINT', () => {
  if (finished) return;
  finished = true;
  console.error('interrupted, cleaning up');
  void cleanup().then(() => process.exit(130));
});

function duBytes(dir) {
  let n = 0;
  try {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      n += e.isDirectory() ? duBytes(p) : statSync(p).size;
    }
  } catch { /* missing */ }
  return n;
}
const mb = (kb) => round(kb / 1024, 0);

async function scaleStep(count) {
  const dir = path.join(tmp, `scale-${count}`);
  const rec = { records: count };
  const t0 = Date.now();
  const left = () => STEP_BUDGET_MS - (Date.now() - t0);
  try {
    const seed = await run(process.execPath, ['--max-old-space-size=8192', self, '--seed', path.join(dir, 'data', 'store'), String(count)], { timeoutMs: left() });
    if (seed.code !== 0) {
      rec.outcome = seed.timedOut ? 'skipped: seeding the store exceeded the step budget' : `seed failed: ${seed.stderr.trim().split('\n').slice(-2).join(' | ')}`;
      return rec;
    }
    const s = lastJsonLine(seed.stdout);
    rec.seedSeconds = round(s.ms / 1000, 1);
    rec.seedProcessRssMb = s.rssMb;
    rec.storeMb = round(duBytes(path.join(dir, 'data', 'store')) / 2 ** 20, 0);
    live.sink = await startSmtpSink({ port: await freePort() });
    live.rebound = await startRebound({ dir, smarthostPort: live.sink.port, startTimeoutMs: Math.max(10_000, left()) });
    rec.startSeconds = round(live.rebound.startMs / 1000, 2);
    rec.rssAfterStartMb = mb(live.rebound.rssKb());
    const cpu0 = live.rebound.cpu();
    live.rebound.eldStart();
    const load = await runLoad({
      port: live.rebound.port, n: LOAD_N, c: 20, size: 2_048, rcpt: (seq) => rcptOf((seq * 7_919) % count), timeoutMs: Math.max(5_000, left()),
    });
    const tDone = load.outcome === 'ok' ? await live.sink.waitFor(LOAD_N, Math.max(1_000, left())) : null;
    rec.acceptedPerSec = load.acceptedPerSec;
    rec.refused = load.refused;
    rec.relayedPerSec = tDone === null ? null : round(LOAD_N / ((tDone - load.t0) / 1000), 0);
    rec.latencyMs = load.latencyMs;
    rec.eventLoopDelayMs = await live.rebound.eldRead();
    rec.cpuSeconds = round(live.rebound.cpu() - cpu0, 2);
    rec.rssAfterRunMb = mb(live.rebound.rssKb());
    rec.peakRssMb = mb(live.rebound.hwmKb());
    rec.outcome = tDone === null ? (load.outcome === 'ok' ? 'timeout waiting for the sink (step budget)' : `load ${load.outcome} (step budget ${STEP_BUDGET_MS} ms)`) : 'ok';
    if (load.refused) rec.firstRefusals = load.firstRefusals;
  } catch (err) {
    rec.outcome = `error: ${String(err.message ?? err).split('\n').slice(0, 3).join(' | ')}`;
  } finally {
    await live.rebound?.stop().catch(() => undefined);
    await live.sink?.stop().catch(() => undefined);
    live.rebound = null;
    live.sink = null;
    rmSync(dir, { recursive: true, force: true });
  }
  rec.stepSeconds = round((Date.now() - t0) / 1000, 1);
  return rec;
}

async function queuedMemory() {
  const dir = path.join(tmp, 'queued');
  const rec = { target: QUEUE_N };
  const t0 = Date.now();
  try {
    const closedPort = await freePort(); // nothing listens there: every delivery attempt is refused and deferred
    live.rebound = await startRebound({ dir, smarthostPort: closedPort });
    rec.rssAfterStartMb = mb(live.rebound.rssKb());
    const samples = [];
    const load = await runLoad({
      port: live.rebound.port, n: QUEUE_N, c: 20, size: 512, rcpt: (seq) => rcptOf(seq % 10_000), timeoutMs: QUEUE_BUDGET_MS,
      onProgress: (k) => { if (k % 10_000 === 0) samples.push([k, mb(live.rebound.rssKb())]); },
    });
    rec.queued = load.accepted;
    rec.refused = load.refused;
    rec.messageBytes = load.messageBytes;
    rec.acceptSeconds = load.seconds;
    rec.acceptedPerSec = load.acceptedPerSec;
    rec.rssMb = mb(live.rebound.rssKb());
    rec.peakRssMb = mb(live.rebound.hwmKb());
    rec.rssByQueued = samples;
    rec.spoolMb = round(duBytes(path.join(dir, 'data')) / 2 ** 20, 0);
    rec.outcome = load.outcome === 'ok' ? 'ok' : `${load.outcome} after ${load.accepted} queued (budget ${QUEUE_BUDGET_MS} ms)`;
    // Restart with that queue: spool replay time and the memory it takes.
    const stopAt = Date.now();
    await live.rebound.stop(30_000);
    rec.stopSeconds = round((Date.now() - stopAt) / 1000, 1);
    live.rebound = await startRebound({ dir, smarthostPort: closedPort, startTimeoutMs: 300_000 });
    rec.restartSeconds = round(live.rebound.startMs / 1000, 2);
    rec.rssAfterRestartMb = mb(live.rebound.rssKb());
    rec.peakRssAfterRestartMb = mb(live.rebound.hwmKb());
  } catch (err) {
    rec.outcome = `error: ${String(err.message ?? err).split('\n').slice(0, 3).join(' | ')}`;
  } finally {
    await live.rebound?.stop(30_000).catch(() => undefined);
    live.rebound = null;
    rmSync(dir, { recursive: true, force: true });
  }
  rec.seconds = round((Date.now() - t0) / 1000, 1);
  return rec;
}

/** One tree at one size: seed its store, open it alone (heap per record), start Rebound on it. */
async function compareStep(tree, count) {
  const dir = path.join(tmp, `compare-${tree.name}-${count}`);
  const store = path.join(dir, 'data', 'store');
  const rec = { tree: tree.name, records: count, eventsPerRecord: COMPARE_EVENTS };
  const t0 = Date.now();
  const left = () => STEP_BUDGET_MS - (Date.now() - t0);
  try {
    const seed = await run(process.execPath, ['--max-old-space-size=8192', self, '--seed', store, String(count), tree.root, String(COMPARE_EVENTS)], { timeoutMs: left() });
    if (seed.code !== 0) return { ...rec, outcome: seed.timedOut ? 'seeding exceeded the step budget' : `seed failed: ${seed.stderr.trim().split('\n').slice(-2).join(' | ')}` };
    rec.seedSeconds = round(lastJsonLine(seed.stdout).ms / 1000, 1);
    rec.storeMb = round(duBytes(store) / 2 ** 20, 0);
    const opened = await run(process.execPath, ['--expose-gc', '--max-old-space-size=8192', self, '--open', store, String(count), tree.root], { timeoutMs: left() });
    const o = lastJsonLine(opened.stdout);
    if (!o?.found) return { ...rec, outcome: `open failed: ${opened.stderr.trim().split('\n').slice(-2).join(' | ')}` };
    Object.assign(rec, { storeOpenSeconds: round(o.openMs / 1000, 2), heapMb: o.heapMb, heapBytesPerRecord: o.heapBytesPerRecord });
    live.rebound = await startRebound({ dir, smarthostPort: await freePort(), cli: path.join(tree.root, 'dist', 'cli.js'), startTimeoutMs: Math.max(10_000, left()) });
    rec.startSeconds = round(live.rebound.startMs / 1000, 2);
    await new Promise((r) => setTimeout(r, 1_000)); // the first flush (and its prune) runs after start
    rec.rssAfterStartMb = mb(live.rebound.rssKb());
    rec.peakRssMb = mb(live.rebound.hwmKb());
    rec.outcome = 'ok';
  } catch (err) {
    rec.outcome = `error: ${String(err.message ?? err).split('\n').slice(0, 3).join(' | ')}`;
  } finally {
    await live.rebound?.stop().catch(() => undefined);
    live.rebound = null;
    rmSync(dir, { recursive: true, force: true });
  }
  return rec;
}

async function compareTrees(otherRoot) {
  const trees = [{ name: 'this', root: REPO_ROOT }, { name: path.basename(otherRoot), root: path.resolve(otherRoot) }];
  const out = [];
  let flip = false;
  for (const count of COMPARE_SIZES) {
    // Alternate which tree goes first, so a drift in the machine's load does not favour one.
    for (const tree of flip ? [...trees].reverse() : trees) {
      const r = await compareStep(tree, count);
      out.push(r);
      console.log(r.outcome === 'ok'
        ? `  ${tree.name.padEnd(14)} ${String(count).padStart(8)} records: heap ${r.heapBytesPerRecord} B/record (${r.heapMb} MB), store open ${r.storeOpenSeconds} s; Rebound start-up ${r.startSeconds} s, RSS after start ${r.rssAfterStartMb} MB, peak ${r.peakRssMb} MB; store ${r.storeMb} MB on disk (seeded in ${r.seedSeconds} s)`
        : `  ${tree.name.padEnd(14)} ${String(count).padStart(8)} records: ${r.outcome}`);
    }
    flip = !flip;
  }
  if (COMPARE_MESSAGES) {
    for (const tree of trees) {
      const dir = path.join(tmp, `messages-${tree.name}`);
      const r = await run(process.execPath, ['--expose-gc', '--max-old-space-size=8192', self, '--messages', dir, String(COMPARE_MESSAGES), tree.root], { timeoutMs: STEP_BUDGET_MS });
      rmSync(dir, { recursive: true, force: true });
      const j = lastJsonLine(r.stdout);
      const rec = { tree: tree.name, messages: COMPARE_MESSAGES, heapBytesPerMessage: j?.found ? j.heapBytesPerMessage : null, outcome: j?.found ? 'ok' : `failed: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}` };
      out.push(rec);
      console.log(`  ${tree.name.padEnd(14)} ${String(COMPARE_MESSAGES).padStart(8)} finished messages: ${rec.outcome === 'ok' ? `heap ${rec.heapBytesPerMessage} B per message record` : rec.outcome}`);
    }
  }
  return out;
}

async function relayEventLoop() {
  const r = await run(process.execPath, [path.join(BENCH_DIR, 'relay.mjs')], { timeoutMs: 300_000, env: { ...process.env } });
  const j = lastJsonLine(r.stdout);
  if (!j) return { outcome: r.timedOut ? 'timeout' : `failed (exit ${r.code}): ${r.stderr.trim().split('\n').slice(-2).join(' | ')}` };
  return { outcome: j.outcome, relayedPerSec: j.relayedPerSec, eventLoopDelayMs: j.eventLoopDelayMs, peakRssMb: j.reboundPeakRssMb, n: j.n, connections: j.connections };
}

async function main() {
  const info = machineInfo();
  console.log(`scale bench: ${SIZES.join(', ')} recipient records; ${LOAD_N} messages per step over 20 sessions (recipients spread over the records); ${info.cpus} cpus, node ${info.node}`);
  const steps = [];
  let skipRest = null;
  for (const count of SIZES) {
    if (skipRest) {
      steps.push({ records: count, outcome: `skipped: ${skipRest}` });
      console.log(`  ${String(count).padStart(8)} records: skipped (${skipRest})`);
      continue;
    }
    const r = await scaleStep(count);
    steps.push(r);
    if (r.outcome === 'ok') {
      console.log(`  ${String(count).padStart(8)} records: relayed ${r.relayedPerSec} msg/s (accepted ${r.acceptedPerSec}/s), start ${r.startSeconds} s, RSS ${r.rssAfterStartMb} MB after start, ${r.rssAfterRunMb} MB after run, peak ${r.peakRssMb} MB; loop delay p99 ${r.eventLoopDelayMs?.p99 ?? '-'} ms, max ${r.eventLoopDelayMs?.max ?? '-'} ms; store ${r.storeMb} MB on disk, seeded in ${r.seedSeconds} s`);
    } else {
      console.log(`  ${String(count).padStart(8)} records: ${r.outcome} (after ${r.stepSeconds} s)`);
      if (r.stepSeconds * 1000 >= STEP_BUDGET_MS * 0.95 || /budget/.test(r.outcome)) skipRest = `the ${count}-record step ran out of its ${STEP_BUDGET_MS / 1000} s budget`;
    }
  }
  let queued = null;
  if (QUEUE_N) {
    console.log(`queued memory: ${QUEUE_N} messages to a closed smarthost port (they stay queued)...`);
    queued = await queuedMemory();
    console.log(`  ${queued.outcome}: ${queued.queued} queued in ${queued.acceptSeconds} s (${queued.acceptedPerSec}/s), RSS ${queued.rssMb} MB, peak (VmHWM) ${queued.peakRssMb} MB, spool+store ${queued.spoolMb} MB on disk`);
    if (queued.restartSeconds !== undefined) console.log(`  restart with that queue: listening after ${queued.restartSeconds} s, RSS ${queued.rssAfterRestartMb} MB (stop took ${queued.stopSeconds} s)`);
  }
  let compare = null;
  if (COMPARE) {
    if (!existsSync(path.join(COMPARE, 'dist', 'cli.js'))) throw new Error(`BENCH_SCALE_COMPARE=${COMPARE}: no dist/cli.js there (build that checkout first)`);
    console.log(`memory and start-up side by side with ${COMPARE} (${COMPARE_SIZES.join(', ')} recipient records, ${COMPARE_EVENTS} events each):`);
    compare = await compareTrees(COMPARE);
  }
  let relay = null;
  if (RUN_RELAY) {
    relay = await relayEventLoop();
    console.log(`relay bench (bench/relay.mjs): ${relay.outcome}, relayed ${relay.relayedPerSec ?? '-'} msg/s, event-loop delay p99 ${relay.eventLoopDelayMs?.p99 ?? '-'} ms, peak RSS ${relay.peakRssMb ?? '-'} MB`);
  }
  const result = { bench: 'scale', cpus: info.cpus, node: info.node, loadN: LOAD_N, steps, queued, compare, relay };
  console.log(JSON.stringify(result));
  return steps.some((s) => s.outcome === 'ok') || compare?.some((s) => s.outcome === 'ok') ? 0 : 1;
}

let code = 1;
try {
  code = await main();
} catch (err) {
  console.error(`scale bench failed: ${err.stack ?? err}`);
} finally {
  if (!finished) {
    finished = true;
    await cleanup();
  }
}
process.exit(code);
