// Relayed msg/s side by side in one run (issue 12): Rebound on lowdb (one node), Rebound on
// PostgreSQL (one node), Rebound on PostgreSQL (two nodes behind a round-robin TCP balancer), and
// Postfix; same load (Postfix's smtp-source, persistent sessions) and the same sink (smtp-sink -c).
//
//   npm run bench:cluster
//   node bench/cluster.mjs --n 5000 --rounds 2
//     BENCH_N / --n              messages per run (default 5000)
//     BENCH_ROUNDS / --rounds    rounds; each runs every server once, in rotating order (default 2)
//     BENCH_SESSIONS / --sessions parallel persistent sessions (default 20)
//     BENCH_SERVERS=postfix,lowdb,pg1,pg2   which to run
//     BENCH_PROF=/some/dir       --cpu-prof of every Rebound node there (node bench/lib/cpuprofile.mjs DIR)
//
// PostgreSQL is a private cluster (scripts/pg/cluster.mjs: initdb in a temp dir, fsync and
// synchronous_commit on), a fresh database per run. Every server makes each message durable before
// its 250. Loopback only; everything is bounded and cleaned up; only this script's children stop.
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PostfixInstance, ensurePostfix, runSmtpSource, startSmtpSink } from './lib/postfix-tools.mjs';
import { startRebound } from './lib/rebound.mjs';
import { REPO_ROOT, freePort, machineInfo, median, numArg, requireBuild, round } from './lib/util.mjs';
import { pgUnavailable, startCluster } from '../scripts/pg/cluster.mjs';

const N = numArg('n', 'BENCH_N', 5_000);
const ROUNDS = numArg('rounds', 'BENCH_ROUNDS', 2);
const SESSIONS = numArg('sessions', 'BENCH_SESSIONS', 20);
const RUN_TIMEOUT_MS = 60_000 + N * 40;
const SERVERS = (process.env.BENCH_SERVERS ?? 'postfix,lowdb,pg1,pg2').split(',').map((s) => s.trim()).filter(Boolean);
const PROF_DIR = process.env.BENCH_PROF ? path.resolve(process.env.BENCH_PROF) : null;
const PEER_DIR = path.join(REPO_ROOT, '..', 'shared', 'peers', 'postfix');

requireBuild();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'rebound-cluster-bench-'));
const live = { sink: null, postfix: null, nodes: [], balancer: null, pg: null };

/** Round-robin TCP balancer: each new connection goes to the next node (what an operator's L4 balancer does). */
function startBalancer(ports) {
  let i = 0;
  const server = net.createServer((client) => {
    const up = net.connect(ports[i++ % ports.length], '127.0.0.1');
    client.pipe(up).pipe(client);
    const close = () => { client.destroy(); up.destroy(); };
    client.on('error', close);
    up.on('error', close);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ port: server.address().port, stop: () => new Promise((r) => server.close(() => r())) })));
}

async function oneRun(server, roundNo, runNo) {
  const rec = { server, round: roundNo, n: N, sessions: SESSIONS };
  const runDir = path.join(tmp, `run-${runNo}`);
  try {
    const sinkPort = await freePort();
    live.sink = await startSmtpSink({ port: sinkPort });
    let port;
    if (server === 'postfix') {
      const listenPort = await freePort();
      live.postfix = new PostfixInstance({ dir: runDir, peerDir: PEER_DIR, listenPort, sinkPort });
      await live.postfix.configure({ in_flow_delay: '0' });
      await live.postfix.start();
      port = listenPort;
    } else {
      const nodes = server === 'pg2' ? 2 : 1;
      const url = server === 'lowdb' ? null : await live.pg.createDatabase(`bench_${runNo}`);
      for (let k = 0; k < nodes; k++) {
        const store = url ? { engine: 'postgres', postgres: { url, nodeId: `node${k + 1}` } } : {};
        live.nodes.push(await startRebound({ dir: path.join(runDir, `node${k + 1}`), smarthostPort: sinkPort, maxClients: 500, overrides: { store }, profDir: PROF_DIR }));
      }
      if (nodes > 1) {
        live.balancer = await startBalancer(live.nodes.map((n) => n.port));
        port = live.balancer.port;
      } else port = live.nodes[0].port;
    }
    const cpu0 = live.nodes.map((n) => n.cpu());
    const src = await runSmtpSource({ port, n: N, sessions: SESSIONS, persistent: true, timeoutMs: RUN_TIMEOUT_MS });
    if (src.code !== 0) rec.error = `smtp-source exit ${src.code}: ${src.stderr.trim().split('\n').slice(-2).join(' | ')}`;
    const tDone = await live.sink.waitFor(N, Math.max(1_000, RUN_TIMEOUT_MS - src.ms));
    if (tDone === null) rec.outcome = `timeout (sink had ${live.sink.count}/${N})`;
    else {
      rec.outcome = rec.error ? 'error' : 'ok';
      rec.relayedPerSec = round(N / ((tDone - src.t0) / 1000), 0);
      rec.acceptedPerSec = round(N / (src.ms / 1000), 0);
    }
    if (live.nodes.length) {
      rec.cpuSeconds = round(live.nodes.reduce((s, n, k) => s + n.cpu() - cpu0[k], 0), 2);
      rec.peakRssMb = live.nodes.map((n) => round(n.hwmKb() / 1024, 0));
    }
  } catch (err) {
    rec.outcome = 'error';
    rec.error = String(err.message ?? err).split('\n').slice(0, 4).join(' | ');
  } finally {
    await live.balancer?.stop();
    live.balancer = null;
    for (const n of live.nodes) await n.stop();
    live.nodes = [];
    await live.postfix?.stop();
    live.postfix = null;
    await live.sink?.stop();
    live.sink = null;
    rmSync(runDir, { recursive: true, force: true });
  }
  return rec;
}

async function main() {
  const needPg = SERVERS.some((s) => s.startsWith('pg'));
  if (needPg) {
    const why = pgUnavailable();
    if (why) throw new Error(`PostgreSQL: ${why}`);
    live.pg = await startCluster();
  }
  if (SERVERS.includes('postfix')) await ensurePostfix((s) => console.log(`  ${s}`));
  const info = machineInfo();
  console.log(`cluster bench: ${SERVERS.join(', ')}; ${N} messages per run, ${SESSIONS} persistent sessions (smtp-source -d), sink smtp-sink -c; ${info.cpus} cpus, node ${info.node}`);
  const runs = [];
  let runNo = 0;
  for (let r = 1; r <= ROUNDS; r++) {
    // Rotate the order each round so no server always runs on a warm (or cold) machine.
    const order = SERVERS.map((_, k) => SERVERS[(k + r - 1) % SERVERS.length]);
    for (const s of order) {
      const rec = await oneRun(s, r, ++runNo);
      runs.push(rec);
      console.log(`  round ${r} ${s.padEnd(8)} ${rec.outcome === 'ok' ? `relayed ${String(rec.relayedPerSec).padStart(5)} msg/s (accepted ${rec.acceptedPerSec}/s)` : rec.outcome}${rec.cpuSeconds !== undefined ? `  cpu ${rec.cpuSeconds} s, peak RSS ${rec.peakRssMb.join('+')} MB` : ''}${rec.error ? `  ${rec.error}` : ''}`);
    }
  }
  const summary = Object.fromEntries(SERVERS.map((s) => [s, median(runs.filter((x) => x.server === s && x.outcome === 'ok').map((x) => x.relayedPerSec))]));
  console.log('\nmedian relayed msg/s:');
  for (const [s, v] of Object.entries(summary)) console.log(`  ${s.padEnd(8)} ${v ?? '-'}${summary.postfix && v && s !== 'postfix' ? `  (${round(v / summary.postfix, 2)}x postfix)` : ''}`);
  console.log(JSON.stringify({ bench: 'cluster', n: N, rounds: ROUNDS, sessions: SESSIONS, cpus: info.cpus, summary, runs }));
  return runs.every((x) => x.outcome === 'ok') ? 0 : 1;
}

let code = 1;
try {
  code = await main();
} catch (err) {
  console.error(`cluster bench failed: ${err.stack ?? err}`);
} finally {
  await live.balancer?.stop();
  for (const n of live.nodes) await n.stop().catch(() => undefined);
  await live.postfix?.stop().catch(() => undefined);
  await live.sink?.stop().catch(() => undefined);
  await live.pg?.destroy().catch(() => undefined);
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(code);
