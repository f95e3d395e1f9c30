// A private PostgreSQL cluster for tests and benchmarks: initdb into a fresh temporary directory,
// the server on a loopback port (and a Unix socket in that directory), stopped by its PID. Never
// the system service. fsync stays on: the store's durability is what the tests are about.
import { spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The directory holding initdb, pg_ctl and postgres: Debian's newest /usr/lib/postgresql/N/bin, else PATH. */
export function pgBinDir() {
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const versions = readdirSync(base).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) if (existsSync(path.join(base, v, 'bin', 'initdb'))) return path.join(base, v, 'bin');
  }
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'pg_ctl'))) return dir;
  }
  return null;
}

/** Why a private cluster cannot run here (for a visible skip), or null. */
export function pgUnavailable() {
  if (!pgBinDir()) return 'PostgreSQL server binaries (initdb, pg_ctl) not found: install Debian\'s postgresql (.ci/run does)';
  if (process.getuid?.() === 0 && !runAsAccount()) return 'running as root and neither a "postgres" nor a "nobody" account exists to run initdb as';
  return null;
}

/**
 * initdb and postgres refuse to run as root: as root the cluster runs as the `postgres` account
 * (Debian's package creates it) or else `nobody`, owning only the temporary directory.
 */
function runAsAccount() {
  let passwd = '';
  try {
    passwd = readFileSync('/etc/passwd', 'utf8');
  } catch {
    return null;
  }
  for (const name of ['postgres', 'nobody']) {
    const line = passwd.split('\n').find((l) => l.startsWith(`${name}:`));
    if (!line) continue;
    const [, , uid, gid] = line.split(':');
    return { name, uid: Number(uid), gid: Number(gid) };
  }
  return null;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer().on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Runs `bin args` to completion as the cluster's account; rejects with its output on failure. */
function run(bin, args, account, timeoutMs = 60_000) {
  return new Promise((resolve, reject) => {
    const opts = { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' } };
    if (account) Object.assign(opts, { uid: account.uid, gid: account.gid });
    const child = spawn(bin, args, opts);
    let out = '';
    for (const s of [child.stdout, child.stderr]) s.setEncoding('utf8').on('data', (t) => (out = (out + t).slice(-8_000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${path.basename(bin)} ${args.join(' ')} failed (${signal ?? code}): ${out.trim()}`));
    });
  });
}

/** The process runs (a zombie does not: the daemonised postmaster's parent is PID 1, which may reap late). */
function alive(pid) {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return !existsSync('/proc/self/stat'); // no /proc: trust kill(0)
  }
}

/**
 * Creates and starts a cluster. Returns { dir, dataDir, socketDir, port, user, pid(), url(db),
 * createDatabase(name) -> url, start(), stop({ mode }), crash(), restart(), destroy(), log() }.
 * `settings` are extra `-c name=value` server settings.
 */
export async function startCluster({ settings = {}, user = 'rebound' } = {}) {
  const bin = pgBinDir();
  if (!bin) throw new Error(pgUnavailable());
  const account = process.getuid?.() === 0 ? runAsAccount() : null;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rebound-pg-'));
  if (account) chownSync(dir, account.uid, account.gid);
  const dataDir = path.join(dir, 'data');
  const logFile = path.join(dir, 'server.log');
  await run(path.join(bin, 'initdb'), ['-D', dataDir, '-U', user, '--auth=trust', '-E', 'UTF8', '--locale=C'], account);

  let port = 0;
  const options = () =>
    ['-k', dir, '-h', '127.0.0.1', '-p', String(port), '-c', 'fsync=on', '-c', 'synchronous_commit=on', ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])]
      .map((a) => (/[\s'"]/.test(a) ? `'${a.replace(/'/g, "'\\''")}'` : a))
      .join(' ');
  const pgCtl = (args, timeoutMs) => run(path.join(bin, 'pg_ctl'), ['-D', dataDir, ...args], account, timeoutMs);
  const pidOf = () => {
    try {
      const pid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : null;
    } catch {
      return null;
    }
  };
  /** Waits until the postmaster (by its PID) is gone. */
  const gone = async (pid, ms = 30_000) => {
    for (let waited = 0; pid && alive(pid) && waited < ms; waited += 10) await sleep(10);
  };

  const cluster = {
    dir, dataDir, socketDir: dir, user,
    get port() { return port; },
    pid: pidOf,
    url: (db = 'postgres') => `postgres://${user}@127.0.0.1:${port}/${db}`,
    log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
    /** Starts the server (again, on the same port once it had one) and waits until it accepts connections. */
    async start() {
      const keepPort = port !== 0;
      for (let tries = 0; ; tries++) {
        if (!keepPort) port = await freePort();
        try {
          await pgCtl(['start', '-w', '-t', '60', '-l', logFile, '-o', options()], 90_000);
          return;
        } catch (err) {
          // Another process took the free port between the probe and the bind: try another one.
          if (keepPort || tries >= 3 || !/could not (bind|create listen)/i.test(cluster.log())) throw err;
        }
      }
    },
    /**
     * Stops the server by signalling its postmaster, as pg_ctl stop -m MODE does (smart SIGTERM,
     * fast SIGINT, immediate SIGQUIT: a crash, no checkpoint, WAL replay at the next start), and
     * waits until that PID is gone (pg_ctl polls too slowly for tests that restart often).
     */
    async stop({ mode = 'fast' } = {}) {
      const pid = pidOf();
      if (!pid) return;
      const signal = { smart: 'SIGTERM', fast: 'SIGINT', immediate: 'SIGQUIT' }[mode];
      if (!signal) throw new Error(`stop mode ${mode}: smart, fast or immediate`);
      try { process.kill(pid, signal); } catch { /* gone */ }
      await gone(pid);
      if (alive(pid)) {
        try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
        await gone(pid);
      }
    },
    /** Kills the postmaster as a power cut would end it: pg_ctl stop -m immediate. */
    crash: () => cluster.stop({ mode: 'immediate' }),
    async restart(opts) {
      await cluster.stop(opts);
      await cluster.start();
    },
    /** Creates a database and returns its URL. */
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`database name ${name}: lowercase letters, digits and _ only`);
      await run(path.join(bin, 'psql'), ['-X', '-q', '-h', dir, '-p', String(port), '-U', user, '-d', 'postgres', '-c', `CREATE DATABASE ${name}`], account);
      return cluster.url(name);
    },
    /** Stops the server and removes the directory. */
    async destroy() {
      await cluster.stop({ mode: 'immediate' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await cluster.start();
  } catch (err) {
    await cluster.destroy().catch(() => {});
    throw err;
  }
  return cluster;
}
