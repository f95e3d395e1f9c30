// Postfix's load tools (smtp-source, smtp-sink) and a private, loopback-only Postfix instance.
//
// The instance never touches /etc/postfix or /var/spool/postfix: its main.cf/master.cf (copied from
// ../shared/peers/postfix) live in a temp config directory used with `postfix -c DIR`, with their own
// queue_directory, data_directory and maillog_file under the same temp dir.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { run, sleep, waitForPort, which } from './util.mjs';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** Installs Postfix with apt-get when `postfix`, `smtp-source` or `smtp-sink` is missing. Throws when it cannot. */
export async function ensurePostfix(log = console.log) {
  const missing = () => ['postfix', 'smtp-source', 'smtp-sink'].filter((p) => !which(p));
  if (!missing().length) return { installed: false };
  if (!isRoot) throw new Error(`${missing().join(', ')} missing and not root: install Postfix (apt-get install postfix)`);
  log(`installing postfix (missing: ${missing().join(', ')})`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('sh', ['-c', 'echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections'], { env, timeoutMs: 60_000 });
  let r = await run('apt-get', ['install', '-y', 'postfix'], { env, timeoutMs: 600_000 });
  if (r.code !== 0) {
    log('apt-get install failed; running apt-get update and retrying');
    await run('apt-get', ['update'], { env, timeoutMs: 600_000 });
    r = await run('apt-get', ['install', '-y', 'postfix'], { env, timeoutMs: 600_000 });
  }
  if (r.code !== 0 || missing().length) throw new Error(`postfix install failed (exit ${r.code}): ${r.stderr.slice(-2_000)}`);
  return { installed: true };
}

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

function setParam(text, key, value) {
  const re = new RegExp(`^${key}\\s*=.*$`, 'm');
  return re.test(text) ? text.replace(re, `${key} = ${value}`) : `${text.trimEnd()}\n${key} = ${value}\n`;
}

/**
 * A private Postfix instance in `dir` built from the shared peer config. `listenPort` replaces
 * 2602 in master.cf and `sinkPort` replaces the relayhost's 2601 when they differ.
 */
export class PostfixInstance {
  constructor({ dir, peerDir, listenPort = 2602, sinkPort = 2601 }) {
    this.dir = dir;
    this.peerDir = peerDir;
    this.listenPort = listenPort;
    this.sinkPort = sinkPort;
    this.confDir = path.join(dir, 'etc');
    this.running = false;
    this.bin = which('postfix');
  }

  /** Writes main.cf/master.cf with the given extra main.cf parameters and runs `postfix check`. */
  async configure(params = {}) {
    for (const f of ['main.cf', 'master.cf']) {
      if (!existsSync(path.join(this.peerDir, f))) throw new Error(`${path.join(this.peerDir, f)} is missing`);
    }
    // Postfix daemons drop to the postfix user: the temp tree must be traversable.
    mkdirSync(this.confDir, { recursive: true });
    chmodSync(this.dir, 0o755);
    chmodSync(path.dirname(this.dir), 0o755);
    mkdirSync(path.join(this.dir, 'queue'), { recursive: true });
    let main = readFileSync(path.join(this.peerDir, 'main.cf'), 'utf8');
    const all = {
      queue_directory: path.join(this.dir, 'queue'),
      data_directory: path.join(this.dir, 'data'),
      maillog_file: path.join(this.dir, 'maillog'),
      maillog_file_prefixes: this.dir,
      relayhost: `[127.0.0.1]:${this.sinkPort}`,
      ...params,
    };
    for (const [k, v] of Object.entries(all)) main = setParam(main, k, v);
    let master = readFileSync(path.join(this.peerDir, 'master.cf'), 'utf8');
    if (!/^127\.0\.0\.1:2602\s+inet/m.test(master)) throw new Error('master.cf has no "127.0.0.1:2602 inet" line to rewrite');
    master = master.replace(/^127\.0\.0\.1:2602(\s+inet)/m, `127.0.0.1:${this.listenPort}$1`);
    writeFileSync(path.join(this.confDir, 'main.cf'), main);
    writeFileSync(path.join(this.confDir, 'master.cf'), master);
    const r = await run(this.bin, ['-c', this.confDir, 'check'], { timeoutMs: 60_000 });
    if (r.code !== 0) throw new Error(`postfix check failed (exit ${r.code}): ${r.stderr.trim()}`);
    return r.stderr.trim(); // warnings, if any
  }

  async start() {
    const r = await run(this.bin, ['-c', this.confDir, 'start'], { timeoutMs: 60_000 });
    if (r.code !== 0) throw new Error(`postfix start failed (exit ${r.code}): ${r.stderr.trim()}`);
    this.running = true;
    await waitForPort(this.listenPort, 15_000);
  }

  /** PID of this instance's master process (from its data directory's pid file), or null. */
  masterPid() {
    try {
      return Number(readFileSync(path.join(this.dir, 'queue', 'pid', 'master.pid'), 'utf8').trim()) || null;
    } catch {
      return null;
    }
  }

  async stop() {
    if (!this.running) return;
    const pid = this.masterPid();
    const r = await run(this.bin, ['-c', this.confDir, 'stop'], { timeoutMs: 30_000 });
    if (r.code !== 0 && pid) {
      try { process.kill(pid, 'SIGTERM'); } catch { /* gone already */ }
    }
    // Wait for the master (ours, by PID) to go away so the ports are free for the next run.
    for (let i = 0; pid && i < 100; i++) {
      try { process.kill(pid, 0); } catch { break; }
      await sleep(100);
    }
    this.running = false;
  }

  /** Messages still in this instance's queue (files under incoming/active/deferred/maildrop/hold). */
  queued() {
    let n = 0;
    const walk = (d) => {
      let entries;
      try { entries = readdirSync(d, { withFileTypes: true }); } catch { return; }
      for (const e of entries) (e.isDirectory() ? walk(path.join(d, e.name)) : n++);
    };
    for (const q of ['maildrop', 'incoming', 'active', 'deferred', 'hold']) walk(path.join(this.dir, 'queue', q));
    return n;
  }
}
