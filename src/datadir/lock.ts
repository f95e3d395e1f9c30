import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { FILE_MODE } from '../durable/private-files.js';

/** Who holds a data directory, as the holder itself tells anyone who asks. */
export interface LockHolder {
  pid: number;
  host: string;
  startedAt: string;
}

export class DataDirInUseError extends Error {
  readonly code = 'DATADIR_IN_USE';
  constructor(readonly dir: string, readonly holder: LockHolder | null) {
    const who = holder ? `pid ${holder.pid} on ${holder.host}, running since ${holder.startedAt}` : 'a process that did not say its pid';
    super(`data directory ${dir} is in use by another rebound (${who}); stop that one first, or give this one its own dataDir`);
  }
}

/** The file the lock lives at, inside the data directory. */
export function lockPath(dir: string): string {
  return path.join(dir, 'rebound.lock');
}

/**
 * One data directory, one server. The lock is a Unix socket the holder listens on: while it
 * runs, a connect succeeds (and it answers with its pid); once it is gone, however it died, the
 * kernel refuses the connect, so a stale lock is recognised without trusting pids (which other
 * PID namespaces, a container restart as pid 1 again, or reuse make meaningless). It works
 * across containers that share the volume, as both see the same socket file.
 */
export class DataDirLock {
  private constructor(private readonly server: net.Server, readonly file: string) {}

  static async acquire(dir: string): Promise<DataDirLock> {
    const file = lockPath(dir);
    const me: LockHolder = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString() };
    for (let tries = 0; tries < 5; tries++) {
      const server = net.createServer((s) => s.end(`${JSON.stringify(me)}\n`));
      server.on('error', () => undefined);
      const err = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
        server.once('error', resolve);
        server.listen(file, () => resolve(null));
      });
      if (!err) {
        server.unref(); // the lock alone must not keep a process alive
        await fsp.chmod(file, FILE_MODE);
        return new DataDirLock(server, file);
      }
      if (err.code !== 'EADDRINUSE') throw new Error(`cannot take the lock ${file}: ${err.message}`, { cause: err });
      const seen = await fsp.lstat(file).catch(() => null);
      if (!seen) continue;
      const probe = await ask(file);
      if (probe.alive) throw new DataDirInUseError(dir, probe.holder);
      await removeIfSame(file, seen.ino);
    }
    throw new Error(`cannot take the lock ${file}: it keeps changing (another rebound starting at the same moment?)`);
  }

  /** Gives the data directory up (the socket file goes with the listener). */
  release(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Connects to a lock socket: alive (with what the holder said) or refused (nobody there). */
function ask(file: string): Promise<{ alive: boolean; holder: LockHolder | null }> {
  return new Promise((resolve) => {
    let text = '';
    const s = net.connect(file);
    const done = (alive: boolean) => {
      clearTimeout(timer);
      s.destroy();
      let holder: LockHolder | null = null;
      try {
        holder = alive ? (JSON.parse(text.split('\n')[0]!) as LockHolder) : null;
      } catch {
        // connected, but it said nothing readable: still alive
      }
      resolve({ alive, holder });
    };
    // A holder busy recovering may answer late; having connected is proof enough that it runs.
    const timer = setTimeout(() => done(true), 2_000);
    s.setEncoding('utf8');
    s.on('data', (d: string) => (text += d));
    s.on('end', () => done(true));
    s.on('error', (e: NodeJS.ErrnoException) => done(text !== '' || (e.code !== 'ECONNREFUSED' && e.code !== 'ENOENT' && e.code !== 'ENOTSOCK')));
  });
}

/**
 * Removes a stale lock only if it is still the file we found dead: moved aside atomically, and
 * put back if a process starting at the same moment had already replaced it with a live one.
 */
async function removeIfSame(file: string, ino: number): Promise<void> {
  const aside = `${file}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await fsp.rename(file, aside);
  } catch {
    return; // gone already
  }
  const st = await fsp.lstat(aside).catch(() => null);
  if (st && st.ino !== ino) await fsp.rename(aside, file).catch(() => undefined);
  else await fsp.rm(aside, { force: true });
}
