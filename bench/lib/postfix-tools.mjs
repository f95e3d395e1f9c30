// Postfix's load tools (smtp-source, smtp-sink) and a private, loopback-only Postfix instance.
//
// The instance is scripts/mta/postfix.mjs's private Postfix (never /etc/postfix or /var/spool/postfix)
// with the main.cf parameters of ../shared/peers/postfix.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ensurePostfix } from '../../scripts/mta/install.mjs';
import { startPostfix } from '../../scripts/mta/postfix.mjs';
import { run, waitForPort, which } from './util.mjs';

export { ensurePostfix };

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * `smtp-sink -c` on host:port, counting delivered messages from its running counter (`... mesg=N`,
 * one update per message, separated by CR). `waitFor(n)` resolves with the performance.now() at
 * which the counter first reached n.
 */
export async function startSmtpSink({ port, host = '127.0.0.1', backlog = 1000 }) {
  const bin = which('smtp-sink');
  if (!bin) throw new Error('smtp-sink not found');
  const args = [...(isRoot ? ['-u', 'nobody'] : []), '-c', `${host}:${port}`, String(backlog)];
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let count = 0;
  let tail = '';
  let stderr = '';
  let waiters = [];
  child.stdout.setEncoding('latin1').on('data', (s) => {
    tail = (tail + s).slice(-200);
    const i = tail.lastIndexOf('mesg=');
    if (i === -1) return;
    const m = /^mesg=(\d+)/.exec(tail.slice(i));
    if (!m) return;
    const n = Number(m[1]);
    if (n <= count) return;
    count = n;
    const now = performance.now();
    waiters = waiters.filter((w) => (count >= w.n ? (w.resolve(now), false) : true));
  });
  child.stderr.setEncoding('utf8').on('data', (s) => (stderr = (stderr + s).slice(-4_000)));
  const dead = () => (child.exitCode !== null || child.signalCode !== null ? `smtp-sink exited: ${stderr.trim()}` : null);
  await waitForPort(port, 5_000, dead);
  return {
    child, port,
    get count() { return count; },
    get stderr() { return stderr; },
    /** Resolves with the time the counter reached n, or null after timeoutMs. */
    waitFor(n, timeoutMs) {
      if (count >= n) return Promise.resolve(performance.now());
      return new Promise((resolve) => {
        const w = { n, resolve: (t) => { clearTimeout(timer); resolve(t); } };
        const timer = setTimeout(() => { waiters = waiters.filter((x) => x !== w); resolve(null); }, timeoutMs);
        waiters.push(w);
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const k = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(k);
    },
  };
}

/**
 * Runs smtp-source to completion: N messages of `size` bytes over `sessions` parallel sessions,
 * one message per connection unless `persistent` (-d). Resolves { code, ms, stderr, timedOut, t0 }.
 */
export async function runSmtpSource({ port, host = '127.0.0.1', n, sessions, size = 2000, persistent, timeoutMs,
  from = 's@example.test', to = 'r@example.test' }) {
  const bin = which('smtp-source');
  if (!bin) throw new Error('smtp-source not found');
  const args = ['-s', String(sessions), '-m', String(n), '-l', String(size), '-f', from, '-t', to, ...(persistent ? ['-d'] : []), `${host}:${port}`];
  const t0 = performance.now();
  const r = await run(bin, args, { timeoutMs });
  return { ...r, t0, args };
}

// Where the instance keeps its files is decided by startPostfix, not by the shared peer config.
const LOCATION_PARAMS = new Set(['queue_directory', 'data_directory', 'maillog_file', 'maillog_file_prefixes']);

/** `key = value` lines of a main.cf (comments and continuation lines are not used by the peer config). */
function readMainCf(file) {
  const out = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([a-z_0-9]+)\s*=\s*(.*)$/.exec(line);
    if (m && !LOCATION_PARAMS.has(m[1])) out[m[1]] = m[2].trim();
  }
  return out;
}

/**
 * A private Postfix instance in `dir` (scripts/mta/postfix.mjs) with the shared peer main.cf
 * (../shared/peers/postfix), smtpd on `listenPort`, relaying everything to the sink on `sinkPort`.
 */
export class PostfixInstance {
  constructor({ dir, peerDir, listenPort = 2602, sinkPort = 2601 }) {
    this.dir = dir;
    this.peerDir = peerDir;
    this.listenPort = listenPort;
    this.sinkPort = sinkPort;
    this.main = null;
    this.instance = null;
  }

  /** Takes the peer main.cf plus the given parameters; `postfix check` runs in start(). */
  async configure(params = {}) {
    const file = path.join(this.peerDir, 'main.cf');
    if (!existsSync(file)) throw new Error(`${file} is missing`);
    // Postfix's own retry timing (startPostfix's test defaults are seconds), as the peer config assumes.
    const postfixDefaults = { queue_run_delay: '300s', minimal_backoff_time: '300s', maximal_backoff_time: '4000s' };
    this.main = { ...postfixDefaults, ...readMainCf(file), relayhost: `[127.0.0.1]:${this.sinkPort}`, ...params };
    return '';
  }

  async start() {
    this.instance = await startPostfix({ dir: this.dir, name: 'relaybench', port: this.listenPort, main: this.main ?? {} });
    return this.instance.warnings;
  }

  masterPid() {
    return this.instance?.masterPid() ?? null;
  }

  async stop() {
    await this.instance?.stop();
  }

  /** Messages still in this instance's queue. */
  queued() {
    return this.instance?.queued() ?? 0;
  }
}
