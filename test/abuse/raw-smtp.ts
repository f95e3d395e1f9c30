// A raw SMTP client for protocol abuse: writes bytes exactly as given and reads replies as the
// server sends them. Everything is bounded in time so a misbehaving server cannot hang a test.
import net from 'node:net';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';

export interface Reply {
  code: number;
  text: string;
}

export class RawClient {
  readonly sock: net.Socket;
  /** Everything the server sent, as latin1. */
  received = '';
  private consumed = 0;
  closed = false;
  readonly closedAt: Promise<number>;
  private wake: (() => void) | null = null;

  private constructor(sock: net.Socket) {
    this.sock = sock;
    sock.on('data', (d) => {
      this.received += d.toString('latin1');
      this.wake?.();
    });
    sock.on('error', () => undefined); // resets after a server-side close are expected here
    this.closedAt = new Promise((resolve) =>
      sock.once('close', () => {
        this.closed = true;
        this.wake?.();
        resolve(Date.now());
      }),
    );
  }

  /** Connects (optionally from another loopback address) and, unless `greet` is false, reads the greeting. */
  static async connect(port: number, opts: { localAddress?: string; greet?: boolean; timeoutMs?: number } = {}): Promise<{ client: RawClient; greeting: Reply | null }> {
    const sock = net.connect({ port, host: '127.0.0.1', ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) });
    const client = new RawClient(sock);
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', () => resolve());
      sock.once('error', reject);
    });
    const greeting = opts.greet === false ? null : await client.reply(opts.timeoutMs ?? 5_000);
    return { client, greeting };
  }

  private async waitData(timeoutMs: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, timeoutMs);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
    this.wake = null;
  }

  /** The next complete (possibly multi-line) reply, or null on close / timeout. */
  async reply(timeoutMs = 5_000): Promise<Reply | null> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const rest = this.received.slice(this.consumed);
      const m = /^(?:\d{3}-[^\n]*\n)*(\d{3})(?: [^\n]*)?\r?\n/.exec(rest);
      if (m) {
        this.consumed += m[0].length;
        return { code: Number(m[1]), text: m[0].trimEnd() };
      }
      if (this.closed || Date.now() >= end) return null;
      await this.waitData(Math.max(1, end - Date.now()));
    }
  }

  /** Reads up to `n` replies (stops early on close or when `timeoutMs` runs out overall). */
  async replies(n: number, timeoutMs = 10_000): Promise<Reply[]> {
    const out: Reply[] = [];
    const end = Date.now() + timeoutMs;
    while (out.length < n) {
      const r = await this.reply(Math.max(1, end - Date.now()));
      if (!r) break;
      out.push(r);
    }
    return out;
  }

  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve) => {
      if (this.sock.destroyed) return resolve();
      this.sock.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data, () => resolve());
    });
  }

  /** Writes and reads one reply. */
  async say(data: string | Buffer, timeoutMs = 5_000): Promise<Reply | null> {
    await this.write(data);
    return this.reply(timeoutMs);
  }

  /** Resolves true once the server closed the connection, false after `timeoutMs`. */
  async waitClosed(timeoutMs: number): Promise<boolean> {
    if (this.closed) return true;
    return Promise.race([this.closedAt.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), timeoutMs))]);
  }

  destroy(): void {
    this.sock.destroy();
  }
}

/** A full, well-behaved transaction on a fresh connection: proves the server is still serving. */
export async function cleanTransaction(port: number, from: string, to: string, body = 'Subject: still alive\r\n\r\nhello\r\n'): Promise<Reply[]> {
  const { client, greeting } = await RawClient.connect(port);
  try {
    if (!greeting) throw new Error('no greeting');
    const out: Reply[] = [greeting];
    for (const cmd of ['EHLO ok.example\r\n', `MAIL FROM:<${from}>\r\n`, `RCPT TO:<${to}>\r\n`, 'DATA\r\n', `${body}.\r\n`, 'QUIT\r\n']) {
      const r = await client.say(cmd);
      if (!r) throw new Error(`no reply to ${JSON.stringify(cmd.slice(0, 40))}; got so far: ${JSON.stringify(out)}`);
      out.push(r);
    }
    return out;
  } finally {
    client.destroy();
  }
}

/** A pino logger whose JSON lines are kept in memory (to assert on what was logged). */
export function capturingLogger(level = 'info'): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n')) {
        if (!l) continue;
        try {
          lines.push(JSON.parse(l) as Record<string, unknown>);
        } catch {
          /* not JSON */
        }
      }
      cb();
    },
  });
  return { logger: pino({ level }, stream), lines };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
