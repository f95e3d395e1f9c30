// Relay benchmark: N messages of ~2 KB over C persistent SMTP sessions through a child Rebound
// (fsync on, the default) to a sink in another child process.
//
//   npm run bench:relay                      (build + defaults: N=5000, C=20)
//   node bench/relay.mjs --n 20000 --c 40    (or BENCH_N, BENCH_C, BENCH_SIZE, BENCH_TIMEOUT_MS)
//   BENCH_LOG=info                           Rebound log level (default warn: measure the relay, not the logging)
//   BENCH_PROF=/some/dir                     write a --cpu-prof of the Rebound child there
//   BENCH_CONFIG='{"store":{"shards":8}}'    merged over the Rebound config (for experiments)
//
// The client (bench/lib/smtp-load.mjs) is raw SMTP over net sockets, MAIL/RCPT/DATA pipelined in
// one write, so it costs little CPU. Everything is bounded; the script stops only its own two
// children and removes its temp dir.
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { startRebound } from './lib/rebound.mjs';
import { runLoad } from './lib/smtp-load.mjs';
import { BENCH_DIR, cpuSeconds, numArg, requireBuild, round, sleep, stopChild } from './lib/util.mjs';

const N = numArg('n', 'BENCH_N', 5_000);
const C = Math.min(numArg('c', 'BENCH_C', 20), N);
const SIZE = numArg('size', 'BENCH_SIZE', 2_048);
const TIMEOUT_MS = numArg('timeout', 'BENCH_TIMEOUT_MS', 30_000 + N * 10);
const LOG_LEVEL = process.env.BENCH_LOG ?? 'warn';
const OVERRIDES = process.env.BENCH_CONFIG ? JSON.parse(process.env.BENCH_CONFIG) : {};
const PROF_DIR = process.env.BENCH_PROF ? path.resolve(process.env.BENCH_PROF) : null;

requireBuild();

const tmp = mkdtempSync(path.join(os.tmpdir(), 'rebound-bench-'));
let rebound = null;
let sink = null;
let finished = false;

async function cleanup() {
  await rebound?.stop(10_000);
  if (sink && sink.connected) sink.send({ type: 'exit' });
  await stopChild(sink, 2_000);
  rmSync(tmp, { recursive: true, force: true });
}

process.on('SIGINT', () => {
  if (finished) return;
  finished = true;
  console.error('interrupted, cleaning up');
  void cleanup().then(() => process.exit(130));
});

/** The counting sink runs in its own process so it does not share our event loop. */
async function startSink() {
  const child = fork(path.join(BENCH_DIR, 'sink.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = [];
  const event = (type) => new Promise((resolve) => waiting.push({ type, resolve }));
  child.on('message', (m) => {
    const i = waiting.findIndex((w) => w.type === m.type);
    if (i !== -1) waiting.splice(i, 1)[0].resolve(m);
  });
  const ready = await Promise.race([event('ready'), sleep(10_000).then(() => null)]);
  if (!ready) throw new Error('sink did not start within 10 s');
  return { child, port: ready.port, event };
}

async function main() {
  const s = await startSink();
  sink = s.child;
  sink.send({ type: 'target', n: N });
  const sinkDone = s.event('done');

  // Rebound, with production defaults except ports and log level.
  rebound = await startRebound({
    dir: tmp, smarthostPort: s.port, logLevel: LOG_LEVEL, overrides: OVERRIDES, profDir: PROF_DIR, maxClients: Math.max(500, C * 2),
  });
  const cpuBefore = { rebound: rebound.cpu(), sink: cpuSeconds(sink.pid), client: process.cpuUsage() };
  rebound.eldStart();
  const load = await runLoad({ port: rebound.port, n: N, c: C, size: SIZE, timeoutMs: TIMEOUT_MS });
  // The sink stamps its last message with Date.now(); the run started at this wall-clock time.
  const t0Wall = performance.timeOrigin + load.t0;
  const left = Math.max(1_000, TIMEOUT_MS - load.seconds * 1000);
  const relayed = load.outcome === 'ok' ? await Promise.race([sinkDone, sleep(left).then(() => 'timeout')]) : 'timeout';
  const relaySec = relayed === 'timeout' ? NaN : (relayed.at - t0Wall) / 1000;

  const cpuAfter = { rebound: rebound.cpu(), sink: cpuSeconds(sink.pid), client: process.cpuUsage(cpuBefore.client) };
  const vmHwmKb = rebound.hwmKb();
  const eld = await rebound.eldRead();
  sink.send({ type: 'stats' });
  const sinkStats = await Promise.race([s.event('stats'), sleep(2_000).then(() => null)]);

  const fsync = rebound.config.spool?.fsync ?? true;
  const result = {
    bench: 'relay', n: N, connections: C, messageBytes: load.messageBytes, fsync, logLevel: LOG_LEVEL,
    ...(process.env.BENCH_CONFIG ? { overrides: OVERRIDES } : {}),
    cpus: os.cpus().length, node: process.version, outcome: relayed === 'timeout' ? 'timeout' : 'ok',
    accepted: load.accepted, refused: load.refused,
    acceptedPerSec: load.acceptedPerSec,
    relayedPerSec: relayed === 'timeout' ? null : round(N / relaySec, 0),
    acceptSeconds: load.seconds, relaySeconds: round(relaySec, 2),
    latencyMs: load.latencyMs,
    reboundPeakRssMb: round(vmHwmKb / 1024, 0),
    eventLoopDelayMs: eld,
    cpuSeconds: {
      rebound: round(cpuAfter.rebound - cpuBefore.rebound, 2), sink: round(cpuAfter.sink - cpuBefore.sink, 2),
      client: round((cpuAfter.client.user + cpuAfter.client.system) / 1e6, 2),
    },
    sink: sinkStats ? { distinct: sinkStats.distinct, duplicates: sinkStats.duplicates, unparsed: sinkStats.unparsed } : null,
  };

  console.log(`relay bench: ${N} messages of ${result.messageBytes} B over ${C} connections, fsync ${fsync ? 'on' : 'OFF'}, log ${LOG_LEVEL}${process.env.BENCH_CONFIG ? `, overrides ${process.env.BENCH_CONFIG}` : ''}`);
  if (result.outcome === 'timeout') console.log(`  TIMED OUT after ${TIMEOUT_MS} ms (${load.outcome}; accepted ${load.accepted}, sink has ${sinkStats?.distinct ?? '?'})`);
  console.log(`  accepted   ${result.acceptedPerSec} msg/s  (${result.acceptSeconds} s; ${load.refused} refused${load.firstRefusals.length ? `: ${load.firstRefusals.join(' | ')}` : ''})`);
  console.log(`  relayed    ${result.relayedPerSec ?? '-'} msg/s  (${result.relaySeconds ?? '-'} s until the sink had all ${N})`);
  console.log(`  time to 250 (end of DATA to reply): p50 ${result.latencyMs.p50} ms, p90 ${result.latencyMs.p90} ms, p99 ${result.latencyMs.p99} ms, max ${result.latencyMs.max} ms`);
  console.log(`  rebound peak RSS ${result.reboundPeakRssMb} MB; event-loop delay ${eld ? `p50 ${eld.p50} ms, p99 ${eld.p99} ms, max ${eld.max} ms` : 'n/a'}`);
  console.log(`  CPU during the run: rebound ${result.cpuSeconds.rebound} s, sink ${result.cpuSeconds.sink} s, client ${result.cpuSeconds.client} s`);
  if (sinkStats && (sinkStats.duplicates || sinkStats.unparsed)) console.log(`  sink saw ${sinkStats.duplicates} duplicates, ${sinkStats.unparsed} unparsed`);
  console.log(JSON.stringify(result));
  return result.outcome === 'ok' && load.refused === 0 ? 0 : 1;
}

let code = 1;
try {
  code = await main();
} catch (err) {
  console.error(`bench failed: ${err.stack ?? err}`);
} finally {
  if (!finished) {
    finished = true;
    await cleanup();
  }
}
if (PROF_DIR) console.log(`cpu profile of the rebound child written to ${PROF_DIR}`);
process.exit(code);
