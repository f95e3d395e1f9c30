// Side by side: Postfix and Rebound relaying the same load to the same sink (issue #6).
//
//   npm run bench:peer                          (build + defaults)
//   node bench/peer-postfix.mjs --n 5000 --rounds 2
//     BENCH_N / --n               messages per run (default 5000)
//     BENCH_ROUNDS / --rounds     rounds; each round runs Postfix(in_flow_delay 1s), Rebound, Postfix(0), Rebound (default 2)
//     BENCH_SESSIONS / --sessions            parallel sessions in persistent mode (default 20)
//     BENCH_CONN_SESSIONS / --conn-sessions  parallel sessions in one-message-per-connection mode (default 200)
//     BENCH_SIZE / --size         smtp-source -l message body bytes (default 2000)
//     BENCH_MODES=conn,persistent which modes to run
//     BENCH_RUN_TIMEOUT_MS        per-run bound (default 60 s + 40 ms per message)
//     BENCH_SERVERS=rebound       run only these servers (postfix,rebound; default both); for profiling
//     BENCH_PROF=/some/dir        --cpu-prof of every Rebound child there (summarise: node bench/lib/cpuprofile.mjs DIR)
//     BENCH_CONFIG='{...}'        merged over the Rebound config (experiments)
//
// Same load generator (Postfix's smtp-source) and same sink (`smtp-sink -c`, counting from its running
// `mesg=N` counter) for both. Relayed msg/s = N / (time from the start of smtp-source until the sink
// has counted all N). Both servers make every message durable before their 250: Postfix's cleanup
// fsyncs the queue file, Rebound runs with spool.fsync on (the default).
//
// Postfix runs as a private instance (`postfix -c TMP/etc`, its own queue/data directories under a
// temp dir) built from ../shared/peers/postfix; /etc/postfix is never touched. It is installed with
// apt-get when missing. Loopback only. Everything is bounded and cleaned up; only processes this
// script started are stopped.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PostfixInstance, ensurePostfix, runSmtpSource, startSmtpSink } from './lib/postfix-tools.mjs';
import { startRebound } from './lib/rebound.mjs';
import { REPO_ROOT, freePort, machineInfo, median, numArg, portIsFree, requireBuild, round, sleep } from './lib/util.mjs';

const N = numArg('n', 'BENCH_N', 5_000);
const ROUNDS = numArg('rounds', 'BENCH_ROUNDS', 2);
const SESSIONS = numArg('sessions', 'BENCH_SESSIONS', 20);
const CONN_SESSIONS = numArg('conn-sessions', 'BENCH_CONN_SESSIONS', 200);
const SIZE = numArg('size', 'BENCH_SIZE', 2_000);
const RUN_TIMEOUT_MS = numArg('run-timeout', 'BENCH_RUN_TIMEOUT_MS', 60_000 + N * 40);
const MODES = (process.env.BENCH_MODES ?? 'conn,persistent').split(',').map((s) => s.trim()).filter(Boolean);
const PROF_DIR = process.env.BENCH_PROF ? path.resolve(process.env.BENCH_PROF) : null;
const OVERRIDES = process.env.BENCH_CONFIG ? JSON.parse(process.env.BENCH_CONFIG) : {};
const PEER_DIR = path.join(REPO_ROOT, '..', 'shared', 'peers', 'postfix');
const FLOW_DELAYS = ['1s', '0'];
const SERVERS = (process.env.BENCH_SERVERS ?? 'postfix,rebound').split(',').map((s) => s.trim());
const TARGET_RATIO = 3;

for (const m of MODES) if (!['conn', 'persistent'].includes(m)) throw new Error(`BENCH_MODES: unknown mode ${m} (conn, persistent)`);
requireBuild();

const tmp = mkdtempSync(path.join(os.tmpdir(), 'rebound-peer-'));
const live = { sink: null, postfix: null, rebound: null };
let finished = false;

async function cleanup() {
  const steps = [
    () => live.rebound?.stop(),
    () => live.postfix?.stop(),
    () => live.sink?.stop(),
  ];
  for (const s of steps) {
    try { await s(); } catch (err) { console.error(`cleanup: ${err.message}`); }
  }
  rmSync(tmp, { recursive: true, force: true });
}

process.on('SIGINT', () => {
  if (finished) return;
  finished = true;
  console.error('interrupted, cleaning up');
  void cleanup().then(() => process.exit(130));
});

async function pickPorts() {
  const want = { sink: Number(process.env.BENCH_SINK_PORT ?? 2601), postfix: Number(process.env.BENCH_POSTFIX_PORT ?? 2602) };
  const ports = { ...want };
  if (!(await portIsFree(ports.sink))) ports.sink = await freePort();
  if (!(await portIsFree(ports.postfix))) ports.postfix = await freePort();
  if (ports.sink !== want.sink || ports.postfix !== want.postfix) {
    console.log(`  note: port ${want.sink} or ${want.postfix} busy; using sink ${ports.sink}, postfix ${ports.postfix}`);
  }
  return ports;
}

/** One measured run: a fresh sink, a fresh server, smtp-source, wait until the sink has all N. */
async function oneRun({ server, flowDelay, mode, round: roundNo, runNo }) {
  const persistent = mode === 'persistent';
  const sessions = persistent ? SESSIONS : CONN_SESSIONS;
  const ports = await pickPorts();
  const runDir = path.join(tmp, `run-${runNo}`);
  const rec = { server, config: server === 'postfix' ? `in_flow_delay=${flowDelay}` : 'fsync=on', mode, round: roundNo, n: N, sessions };
  try {
    live.sink = await startSmtpSink({ port: ports.sink });
    let reboundCpu0 = null;
    if (server === 'postfix') {
      live.postfix = new PostfixInstance({ dir: runDir, peerDir: PEER_DIR, listenPort: ports.postfix, sinkPort: ports.sink });
      const warnings = await live.postfix.configure({ in_flow_delay: flowDelay });
      if (warnings && runNo <= 1) console.log(`  postfix check: ${warnings.split('\n').slice(0, 3).join(' | ')}`);
      await live.postfix.start();
    } else {
      live.rebound = await startRebound({
        dir: runDir, smarthostPort: ports.sink, logLevel: process.env.BENCH_LOG ?? 'warn', overrides: OVERRIDES, profDir: PROF_DIR,
        maxClients: Math.max(500, sessions * 2),
      });
      if (live.rebound.config.spool?.fsync === false) console.log('  WARNING: Rebound spool.fsync is off for this run');
      rec.fsync = live.rebound.config.spool?.fsync ?? true;
      reboundCpu0 = live.rebound.cpu();
      live.rebound.eldStart();
    }
    const port = server === 'postfix' ? ports.postfix : live.rebound.port;
    const src = await runSmtpSource({ port, n: N, sessions, size: SIZE, persistent, timeoutMs: RUN_TIMEOUT_MS });
    rec.acceptSeconds = round(src.ms / 1000, 2);
    if (src.code !== 0) {
      rec.outcome = src.timedOut ? 'timeout (smtp-source)' : `smtp-source exit ${src.code}`;
      rec.error = src.stderr.trim().split('\n').slice(-3).join(' | ');
    }
    const left = Math.max(1_000, RUN_TIMEOUT_MS - src.ms);
    const tDone = await live.sink.waitFor(N, left);
    if (tDone === null) {
      rec.outcome ??= 'timeout (sink)';
      rec.sinkCount = live.sink.count;
    } else {
      rec.outcome ??= 'ok';
      rec.relaySeconds = round((tDone - src.t0) / 1000, 2);
      rec.relayedPerSec = round(N / ((tDone - src.t0) / 1000), 0);
      rec.acceptedPerSec = round(N / (src.ms / 1000), 0);
    }
    if (live.rebound) {
      rec.reboundCpuSeconds = round(live.rebound.cpu() - reboundCpu0, 2);
      rec.reboundPeakRssMb = round(live.rebound.hwmKb() / 1024, 0);
      rec.eventLoopDelayMs = await live.rebound.eldRead();
    }
    if (live.postfix) {
      await sleep(200);
      rec.postfixLeftInQueue = live.postfix.queued();
    }
  } catch (err) {
    rec.outcome = 'error';
    rec.error = String(err.message ?? err).split('\n').slice(0, 4).join(' | ');
  } finally {
    if (live.rebound) { await live.rebound.stop(); live.rebound = null; }
    if (live.postfix) { await live.postfix.stop(); live.postfix = null; }
    if (live.sink) { await live.sink.stop(); live.sink = null; }
    rmSync(runDir, { recursive: true, force: true });
  }
  return rec;
}

function describe(r) {
  const who = r.server === 'postfix' ? `postfix ${r.config.padEnd(16)}` : `rebound ${''.padEnd(16)}`;
  if (r.outcome !== 'ok') return `  ${r.mode.padEnd(10)} round ${r.round} ${who} ${r.outcome}${r.error ? `: ${r.error}` : ''}${r.sinkCount !== undefined ? ` (sink had ${r.sinkCount}/${r.n})` : ''}`;
  const extra = r.server === 'rebound'
    ? `  cpu ${r.reboundCpuSeconds} s, peak RSS ${r.reboundPeakRssMb} MB, loop delay p99 ${r.eventLoopDelayMs?.p99 ?? '-'} ms`
    : `  queue left ${r.postfixLeftInQueue}`;
  return `  ${r.mode.padEnd(10)} round ${r.round} ${who} relayed ${String(r.relayedPerSec).padStart(5)} msg/s (${r.relaySeconds} s; smtp-source done after ${r.acceptSeconds} s)${extra}`;
}

async function main() {
  const setup = await ensurePostfix((s) => console.log(`  ${s}`)); // smtp-source and smtp-sink come with it
  const info = machineInfo();
  console.log(`peer bench: Postfix vs Rebound, ${N} messages of ${SIZE} B body per run (smtp-source -l ${SIZE}), ${ROUNDS} rounds, alternating runs`);
  console.log(`  load: smtp-source; sink: smtp-sink -c; persistent mode: -d -s ${SESSIONS}; one-message-per-connection mode: -s ${CONN_SESSIONS} for BOTH servers`);
  console.log(`  (smtp-server, Rebound's SMTP library, waits a fixed 100 ms before its greeting, so one message per connection needs many parallel`);
  console.log(`   sessions: with -s S Rebound cannot exceed about S / 0.1 s connections per second; Postfix keeps its default 100 smtpd processes)`);
  console.log(`  durability: Postfix fsyncs each queue file before 250; Rebound spool.fsync on (default). ${info.cpus} cpus, node ${info.node}${setup.installed ? ', postfix installed by this run' : ''}`);
  const runs = [];
  let runNo = 0;
  for (const mode of MODES) {
    for (let r = 1; r <= ROUNDS; r++) {
      const order = [];
      for (const fd of FLOW_DELAYS) order.push({ server: 'postfix', flowDelay: fd }, { server: 'rebound' });
      for (const o of order) {
        if (!SERVERS.includes(o.server)) continue;
        const rec = await oneRun({ ...o, mode, round: r, runNo: ++runNo });
        runs.push(rec);
        console.log(describe(rec));
      }
    }
  }

  const summary = {};
  for (const mode of MODES) {
    const of = (pred) => runs.filter((x) => x.mode === mode && pred(x));
    const med = (xs) => median(xs.filter((x) => x.outcome === 'ok').map((x) => x.relayedPerSec));
    const pf = {};
    for (const fd of FLOW_DELAYS) pf[`in_flow_delay=${fd}`] = med(of((x) => x.server === 'postfix' && x.config === `in_flow_delay=${fd}`));
    const best = Object.entries(pf).filter(([, v]) => v !== null).sort((a, b) => b[1] - a[1])[0] ?? [null, null];
    const rb = of((x) => x.server === 'rebound');
    const reboundMed = med(rb);
    summary[mode] = {
      sessions: mode === 'persistent' ? SESSIONS : CONN_SESSIONS,
      postfix: pf, postfixBest: best[1], postfixBestConfig: best[0],
      rebound: reboundMed,
      ratio: reboundMed !== null && best[1] ? round(reboundMed / best[1], 2) : null,
      reboundCpuSecondsMedian: median(rb.filter((x) => x.outcome === 'ok').map((x) => x.reboundCpuSeconds)),
      reboundEventLoopP99Median: round(median(rb.filter((x) => x.outcome === 'ok').map((x) => x.eventLoopDelayMs?.p99)), 2),
      failedRuns: of((x) => x.outcome !== 'ok').length,
    };
  }
  console.log(`\nmedian relayed msg/s (target: Rebound >= ${TARGET_RATIO}x the better Postfix config, every message durable before 250)`);
  for (const mode of MODES) {
    const s = summary[mode];
    const label = mode === 'persistent' ? `persistent sessions (-d -s ${s.sessions})` : `one message per connection (-s ${s.sessions})`;
    console.log(`  ${label}:`);
    console.log(`    postfix ${Object.entries(s.postfix).map(([k, v]) => `${k}: ${v ?? '-'}`).join(', ')}; best ${s.postfixBest ?? '-'} (${s.postfixBestConfig ?? '-'})`);
    console.log(`    rebound ${s.rebound ?? '-'}   ratio rebound/postfix ${s.ratio ?? '-'}x ${s.ratio === null ? '' : s.ratio >= TARGET_RATIO ? '(meets target)' : `(below ${TARGET_RATIO}x)`}`);
  }
  const result = {
    bench: 'peer-postfix', n: N, rounds: ROUNDS, bodyBytes: SIZE, targetRatio: TARGET_RATIO, cpus: info.cpus, node: info.node,
    ...(process.env.BENCH_CONFIG ? { overrides: OVERRIDES } : {}),
    modes: summary,
    runs: runs.map(({ error, ...r }) => (error ? { ...r, error } : r)),
  };
  console.log(JSON.stringify(result));
  return Object.values(summary).every((s) => s.ratio !== null) ? 0 : 1;
}

let code = 1;
try {
  code = await main();
} catch (err) {
  console.error(`peer bench failed: ${err.stack ?? err}`);
} finally {
  if (!finished) {
    finished = true;
    await cleanup();
  }
}
if (PROF_DIR) console.log(`cpu profiles of the Rebound children written to ${PROF_DIR} (node bench/lib/cpuprofile.mjs ${PROF_DIR})`);
process.exit(code);
