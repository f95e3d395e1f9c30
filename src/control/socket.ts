import { chmodSync, existsSync, rmSync } from 'node:fs';
import net from 'node:net';
import type { Logger } from '../util/logger.js';

export type ControlHandler = (cmd: string, args: string[]) => Promise<unknown> | unknown;

/**
 * A local control socket (a Unix socket in the data directory, mode 0600 whatever the umask, so
 * only the user the server runs as can use it): the CLI sends one JSON line {cmd, args} and gets one JSON line back. It lets
 * commands change a running server's state instead of racing it on the store files.
 */
export class ControlServer {
  private server: net.Server | null = null;

  constructor(private readonly path: string, private readonly handle: ControlHandler, private readonly logger: Logger) {}

  async start(): Promise<void> {
    if (Buffer.byteLength(this.path) > 100) {
      // Unix socket paths are limited to about 108 bytes.
      this.logger.warn({ path: this.path }, 'control socket path too long; CLI commands will not reach the running server');
      return;
    }
    if (existsSync(this.path)) rmSync(this.path, { force: true });
    const server = net.createServer((sock) => {
      let buf = '';
      sock.setEncoding('utf8');
      sock.on('data', (d: string) => {
        buf += d;
        if (buf.length > 1 << 20) sock.destroy();
        const nl = buf.indexOf('\n');
        if (nl === -1) return;
        const line = buf.slice(0, nl);
        void (async () => {
          try {
            const { cmd, args } = JSON.parse(line) as { cmd: string; args?: string[] };
            const result = await this.handle(String(cmd), Array.isArray(args) ? args.map(String) : []);
            sock.end(JSON.stringify({ ok: true, result }) + '\n');
          } catch (err) {
            sock.end(JSON.stringify({ ok: false, error: (err as Error).message }) + '\n');
          }
        })();
      });
      sock.on('error', () => undefined);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      // The socket file is created inside listen() with the umask's mode: under umask 000 any
      // local user could connect (and run `suppress`) until a chmod. A tight umask around the
      // call makes it 0600 from the start; the chmod after it holds whatever happened.
      const umask = process.umask(0o177);
      try {
        server.listen(this.path, () => resolve());
      } finally {
        process.umask(umask);
      }
    });
    chmodSync(this.path, 0o600);
    this.server = server;
    this.logger.debug({ path: this.path }, 'control socket listening');
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s) await new Promise<void>((r) => s.close(() => r()));
    rmSync(this.path, { force: true });
  }
}

/** Sends one command to a running server; resolves null when no server is listening. */
export function sendControl(path: string, cmd: string, args: string[], timeoutMs = 10_000): Promise<{ ok: boolean; result?: unknown; error?: string } | null> {
  return new Promise((resolve) => {
    if (!existsSync(path)) return resolve(null);
    const sock = net.connect(path);
    let buf = '';
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ ok: false, error: 'the server did not answer in time' });
    }, timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(JSON.stringify({ cmd, args }) + '\n'));
    sock.on('data', (d: string) => (buf += d));
    sock.on('end', () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(buf) as { ok: boolean; result?: unknown; error?: string });
      } catch {
        resolve({ ok: false, error: 'bad answer from the server' });
      }
    });
    sock.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      // A socket file left by a server that died: no server is running.
      resolve(err.code === 'ECONNREFUSED' || err.code === 'ENOENT' ? null : { ok: false, error: err.message });
    });
  });
}
