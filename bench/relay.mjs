// Relay benchmark: N messages of ~2 KB over C persistent SMTP sessions through a child Rebound
// (fsync on, the default) to a sink in another child process.
//
//   npm run bench:relay                      (build + defaults: N=5000, C=20)
//   node bench/relay.mjs --n 20000 --c 40    (or BENCH_N, BENCH_C, BENCH_SIZE, BENCH_TIMEOUT_MS)
//   BENCH_LOG=info                           Rebound log level (default warn: measure the relay, not the logging)
//   BENCH_PROF=/some/dir                     write a --cpu-prof of the Rebound child there
//   BENCH_CONFIG='{"store":{"shards":8}}'    merged over the Rebound config (for experiments)
//
// The client is raw SMTP over net sockets, MAIL/RCPT/DATA pipelined in one write, so it costs
// little CPU. Everything is bounded; the script kills only its own two children and removes its
// temp dir.
import { fork, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.resolve(here, '..', 'dist', 'cli.js');

function arg(name, envName, def) {
  const i = process.argv.indexOf(`--${name}`);
  const v = i !== -1 ? process.argv[i + 1] : process.env[envName];
  const n = v === undefined ? def : Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} / ${envName} must be a positive number, got ${v}`);
  return Math.floor(n);
}

const N = arg('n', 'BENCH_N', 5_000);
const C = Math.min(arg('c', 'BENCH_C', 20), N);
const SIZE = arg('size', 'BENCH_SIZE', 2_048);
const TIMEOUT_MS = arg('timeout', 'BENCH_TIMEOUT_MS', 30_000 + N * 10);
const LOG_LEVEL = process.env.BENCH_LOG ?? 'warn';
const OVERRIDES = process.env.BENCH_CONFIG ? JSON.parse(process.env.BENCH_CONFIG) : {};
const PROF_DIR = process.env.BENCH_PROF ? path.resolve(process.env.BENCH_PROF) : null;

if (!existsSync(CLI)) {
  console.error(`${CLI} is missing: run \`npm run build\` first (npm run bench:relay does)`);
  process.exit(2);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer().on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** CPU seconds (user+system) a process has used, from /proc. */
function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (100/s on Linux)
  } catch {
    return NaN;
  }
}

function procStatusKb(pid, field) {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

function merge(base, over) {
  const out = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && base[k] && typeof base[k] === 'object' ? merge(base[k], v) : v;
  }
  return out;
}

function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

// ~SIZE bytes per message: headers with a unique sequence number, then a shared body.
const BODY = (() => {
  const line = 'The quick brown fox jumps over the lazy dog; pack my box with five dozen jugs.\r\n';
  return Buffer.from(line.repeat(Math.max(1, Math.ceil((SIZE - 300) / line.length))));
})();
function header(seq) {
  return Buffer.from(
    `From: Bench <bench@example.com>\r\nTo: <user${seq % 1000}@example.org>\r\nSubject: bench message ${seq}\r\n` +
      `Message-ID: <bench-${seq}-${process.pid}@example.com>\r\nDate: ${new Date().toUTCString()}\r\n` +
      `X-Bench-Seq: ${seq}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n`,
  );
}
const DOT = Buffer.from('.\r\n');

/** One SMTP session: a reply reader (final lines only) and a send loop. */
class Session {
  constructor(port) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.setNoDelay(true);
    this.buf = '';
    this.waiting = [];
    this.replies = [];
    this.error = null;
    this.socket.on('data', (d) => this.onData(d));
    this.socket.on('error', (e) => this.fail(e));
    this.socket.on('close', () => this.fail(new Error('connection closed by server')));
  }

  onData(d) {
    this.buf += d.toString('latin1');
    let i;
    while ((i = this.buf.indexOf('\r\n')) !== -1) {
      const line = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 2);
      if (line[3] === '-') continue; // continuation of a multi-line reply
      const r = { code: Number(line.slice(0, 3)), text: line };
      const w = this.waiting.shift();
      if (w) w.resolve(r);
      else this.replies.push(r);
    }
  }

  fail(err) {
    this.error ??= err;
    for (const w of this.waiting.splice(0)) w.reject(err);
  }

  reply() {
    if (this.replies.length) return Promise.resolve(this.replies.shift());
    if (this.error) return Promise.reject(this.error);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  async expect(code, what) {
    const r = await this.reply();
    if (r.code !== code) throw new Error(`${what}: expected ${code}, got "${r.text}"`);
    return r;
  }
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'rebound-bench-'));
let rebound = null;
let sink = null;
let finished = false;

async function cleanup() {
  if (rebound && rebound.exitCode === null && rebound.signalCode === null) {
    rebound.kill('SIGTERM');
    const killer = setTimeout(() => rebound.kill('SIGKILL'), 10_000);
    await new Promise((r) => rebound.once('exit', r));
    clearTimeout(killer);
  }
  if (sink && sink.connected) sink.send({ type: 'exit' });
  if (sink && sink.exitCode === null) {
    const killer = setTimeout(() => sink.kill('SIGKILL'), 2_000);
    await new Promise((r) => sink.once('exit', r));
    clearTimeout(killer);
  }
  rmSync(tmp, { recursive: true, force: true });
}

process.on('SIGINT', () => {
  if (finished) return;
  finished = true;
  console.error('interrupted, cleaning up');
  void cleanup().then(() => process.exit(130));
});

async function main() {
  // The sink, in its own process.
  sink = fork(path.join(here, 'sink.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const sinkMessages = [];
  const sinkEvent = (type) => new Promise((resolve) => sinkMessages.push({ type, resolve }));
  sink.on('message', (m) => {
    const i = sinkMessages.findIndex((w) => w.type === m.type);
    if (i !== -1) sinkMessages.splice(i, 1)[0].resolve(m);
  });
  const sinkReady = await Promise.race([sinkEvent('ready'), sleep(10_000).then(() => null)]);
  if (!sinkReady) throw new Error('sink did not start within 10 s');
  sink.send({ type: 'target', n: N });
  const sinkDone = sinkEvent('done');

  // Rebound, with production defaults except ports and log level.
  const port = await freePort();
  const configFile = path.join(tmp, 'config.json');
  const config = merge({
    dataDir: path.join(tmp, 'data'),
    log: { level: LOG_LEVEL },
    submission: { host: '127.0.0.1', port, trustedNetworks: ['127.0.0.1/32'], maxClients: Math.max(500, C * 2) },
    delivery: { mode: 'smarthost', smarthost: { host: '127.0.0.1', port: sinkReady.port, starttls: 'off' } },
    returnPath: { port: 0 },
    http: { port: 0 },
  }, OVERRIDES);
  writeFileSync(configFile, JSON.stringify(config));
  // Event-loop delay inside the child, cheaply: a preload with a histogram, reset at the start
  // of the run and written out on the second SIGUSR2.
  const eldFile = path.join(tmp, 'eld.json');
  const preload = path.join(tmp, 'eld.mjs');
  writeFileSync(preload, `
    import { monitorEventLoopDelay } from 'node:perf_hooks';
    import { writeFileSync } from 'node:fs';
    const h = monitorEventLoopDelay({ resolution: 10 });
    h.enable();
    let n = 0;
    process.on('SIGUSR2', () => {
      if (n++ === 0) return h.reset();
      // The histogram records the whole timer interval; subtract the 10 ms resolution to get the delay.
      const ms = (v) => Math.max(0, Math.round((v - 1e7) / 1e4) / 100);
      writeFileSync(${JSON.stringify(eldFile)}, JSON.stringify({ p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max), mean: ms(h.mean) }));
    });
  `);
  const nodeArgs = PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROF_DIR}`] : [];
  const env = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${pathToFileURL(preload).href}`.trim() };
  delete env.NODE_ENV;
  rebound = spawn(process.execPath, [...nodeArgs, CLI, 'start', '--config', configFile], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  rebound.stderr.setEncoding('utf8').on('data', (s) => (stderr = (stderr + s).slice(-8_000)));
  const startBy = Date.now() + 10_000;
  for (;;) {
    if (rebound.exitCode !== null) throw new Error(`rebound exited during start-up:\n${stderr}`);
    if (Date.now() > startBy) throw new Error(`rebound did not listen within 10 s:\n${stderr}`);
    const ok = await new Promise((r) => net.connect(port, '127.0.0.1').once('connect', function () { this.destroy(); r(true); }).once('error', () => r(false)));
    if (ok) break;
    await sleep(50);
  }

  // Open and greet every session before the clock starts.
  const sessions = await Promise.all(Array.from({ length: C }, async () => {
    const s = new Session(port);
    await s.expect(220, 'greeting');
    s.socket.write('EHLO bench.example.com\r\n');
    const ehlo = await s.expect(250, 'EHLO');
    void ehlo;
    return s;
  }));

  const latencies = new Float64Array(N);
  let next = 0;
  let accepted = 0;
  let refused = 0;
  const firstRefusals = [];
  const cpuBefore = { rebound: cpuSeconds(rebound.pid), sink: cpuSeconds(sink.pid), client: process.cpuUsage() };
  rebound.kill('SIGUSR2'); // reset the event-loop histogram
  const t0 = performance.now();
  const t0Wall = Date.now();

  const loop = async (s) => {
    for (let seq = next++; seq < N; seq = next++) {
      // MAIL, RCPT and DATA in one write (PIPELINING), then the body once 354 arrives.
      s.socket.write(`MAIL FROM:<bench@example.com> SIZE=${SIZE}\r\nRCPT TO:<user${seq % 1000}@example.org>\r\nDATA\r\n`);
      await s.expect(250, 'MAIL');
      await s.expect(250, 'RCPT');
      await s.expect(354, 'DATA');
      s.socket.cork();
      s.socket.write(header(seq));
      s.socket.write(BODY);
      s.socket.write(DOT);
      const sent = performance.now();
      s.socket.uncork();
      const r = await s.reply();
      latencies[seq] = performance.now() - sent;
      if (r.code === 250) accepted++;
      else {
        refused++;
        latencies[seq] = NaN;
        if (firstRefusals.length < 5) firstRefusals.push(r.text);
      }
    }
    s.socket.end('QUIT\r\n');
  };

  const deadline = sleep(TIMEOUT_MS).then(() => 'timeout');
  const sent = await Promise.race([Promise.all(sessions.map(loop)).then(() => 'ok'), deadline]);
  const tAccepted = performance.now();
  const relayed = sent === 'ok' ? await Promise.race([sinkDone, deadline]) : 'timeout';
  const tRelayedWall = relayed === 'timeout' ? NaN : relayed.at;

  const cpuAfter = { rebound: cpuSeconds(rebound.pid), sink: cpuSeconds(sink.pid), client: process.cpuUsage(cpuBefore.client) };
  const vmHwmKb = procStatusKb(rebound.pid, 'VmHWM');
  rebound.kill('SIGUSR2'); // write the event-loop histogram
  sink.send({ type: 'stats' });
  const sinkStats = await Promise.race([sinkEvent('stats'), sleep(2_000).then(() => null)]);
  for (let i = 0; i < 40 && !existsSync(eldFile); i++) await sleep(25);
  const eld = existsSync(eldFile) ? JSON.parse(readFileSync(eldFile, 'utf8')) : null;

  const lat = Array.from(latencies.subarray(0, next > N ? N : next)).filter((x) => x > 0).sort((a, b) => a - b);
  const acceptSec = (tAccepted - t0) / 1000;
  const relaySec = (tRelayedWall - t0Wall) / 1000;
  const round = (x, d = 1) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : null);
  const result = {
    bench: 'relay', n: N, connections: C, messageBytes: header(0).length + BODY.length, fsync: config.spool?.fsync ?? true, logLevel: LOG_LEVEL,
    ...(process.env.BENCH_CONFIG ? { overrides: OVERRIDES } : {}),
    cpus: os.cpus().length, node: process.version, outcome: relayed === 'timeout' ? 'timeout' : 'ok',
    accepted, refused,
    acceptedPerSec: round(accepted / acceptSec, 0),
    relayedPerSec: relayed === 'timeout' ? null : round(N / relaySec, 0),
    acceptSeconds: round(acceptSec, 2), relaySeconds: round(relaySec, 2),
    latencyMs: { p50: round(percentile(lat, 50), 2), p90: round(percentile(lat, 90), 2), p99: round(percentile(lat, 99), 2), max: round(lat.at(-1), 2) },
    reboundPeakRssMb: round(vmHwmKb / 1024, 0),
    eventLoopDelayMs: eld,
    cpuSeconds: {
      rebound: round(cpuAfter.rebound - cpuBefore.rebound, 2), sink: round(cpuAfter.sink - cpuBefore.sink, 2),
      client: round((cpuAfter.client.user + cpuAfter.client.system) / 1e6, 2),
    },
    sink: sinkStats ? { distinct: sinkStats.distinct, duplicates: sinkStats.duplicates, unparsed: sinkStats.unparsed } : null,
  };

  console.log(`relay bench: ${N} messages of ${result.messageBytes} B over ${C} connections, fsync ${result.fsync ? 'on' : 'OFF'}, log ${LOG_LEVEL}${process.env.BENCH_CONFIG ? `, overrides ${process.env.BENCH_CONFIG}` : ''}`);
  if (result.outcome === 'timeout') console.log(`  TIMED OUT after ${TIMEOUT_MS} ms (accepted ${accepted}, sink has ${sinkStats?.distinct ?? '?'})`);
  console.log(`  accepted   ${result.acceptedPerSec} msg/s  (${result.acceptSeconds} s; ${refused} refused${firstRefusals.length ? `: ${firstRefusals.join(' | ')}` : ''})`);
  console.log(`  relayed    ${result.relayedPerSec ?? '-'} msg/s  (${result.relaySeconds ?? '-'} s until the sink had all ${N})`);
  console.log(`  time to 250 (end of DATA to reply): p50 ${result.latencyMs.p50} ms, p90 ${result.latencyMs.p90} ms, p99 ${result.latencyMs.p99} ms, max ${result.latencyMs.max} ms`);
  console.log(`  rebound peak RSS ${result.reboundPeakRssMb} MB; event-loop delay ${eld ? `p50 ${eld.p50} ms, p99 ${eld.p99} ms, max ${eld.max} ms` : 'n/a'}`);
  console.log(`  CPU during the run: rebound ${result.cpuSeconds.rebound} s, sink ${result.cpuSeconds.sink} s, client ${result.cpuSeconds.client} s`);
  if (sinkStats && (sinkStats.duplicates || sinkStats.unparsed)) console.log(`  sink saw ${sinkStats.duplicates} duplicates, ${sinkStats.unparsed} unparsed`);
  console.log(JSON.stringify(result));
  return result.outcome === 'ok' && refused === 0 ? 0 : 1;
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
