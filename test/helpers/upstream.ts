// A real smtp-server on loopback playing the upstream, scripted per recipient local part.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import '../../src/smtp/enhanced-replies.js';

export const TLS_KEY = readFileSync(path.resolve(import.meta.dirname, '../../fixtures/tls/key.pem'));
export const TLS_CERT = readFileSync(path.resolve(import.meta.dirname, '../../fixtures/tls/cert.pem'));

export interface Received {
  from: string;
  to: string[];
  raw: Buffer;
  secure: boolean;
  user: string | null;
}

export interface UpstreamOptions {
  /** Reply for RCPT TO by local part prefix; default 250. Example: { unknown: '550 5.1.1 No such user' }. */
  rcpt?: Record<string, string>;
  /** Reply at end of DATA (default 250). */
  data?: string;
  /** Reply at MAIL FROM (default accept). */
  mail?: string;
  /** Refuse at connect with this reply, e.g. "421 4.3.2 Service not available". */
  greeting?: string;
  /** Require AUTH with these credentials. */
  auth?: { user: string; pass: string };
  /** Require STARTTLS before MAIL. */
  requireTls?: boolean;
  /**
   * Waits this long before answering the end of DATA; a message whose client is gone by then is
   * not received (as a real MTA drops a transaction it never acknowledged).
   */
  dataDelayMs?: number;
  /** SIZE limit advertised in EHLO (default 50 MiB). */
  size?: number;
  port?: number;
}

function errorFor(reply: string): Error & { responseCode: number } {
  const m = /^(\d{3})[ -](.*)$/s.exec(reply)!;
  const e = new Error(m[2]) as Error & { responseCode: number };
  e.responseCode = Number(m[1]);
  return e;
}

export class Upstream {
  readonly received: Received[] = [];
  connections = 0;
  /** Sessions whose client has gone. */
  private readonly closed = new Set<string>();
  private server!: SMTPServer;
  port = 0;

  constructor(public opts: UpstreamOptions = {}) {}

  async start(): Promise<this> {
    const o = this.opts;
    const options: SMTPServerOptions = {
      key: TLS_KEY,
      cert: TLS_CERT,
      disableReverseLookup: true,
      hideENHANCEDSTATUSCODES: false,
      authOptional: !o.auth,
      allowInsecureAuth: true,
      logger: false,
      size: o.size ?? 50 * 1024 * 1024,
      onClose: (session) => {
        this.closed.add(session.id);
      },
      onConnect: (_s, cb) => {
        this.connections++;
        if (this.opts.greeting) return cb(errorFor(this.opts.greeting));
        cb();
      },
      onAuth: (auth, _s, cb) => {
        const a = this.opts.auth;
        if (a && auth.username === a.user && auth.password === a.pass) return cb(null, { user: auth.username });
        cb(errorFor('535 5.7.8 Authentication credentials invalid'));
      },
      onMailFrom: (_a, session, cb) => {
        if (this.opts.requireTls && !session.secure) return cb(errorFor('530 5.7.0 Must issue a STARTTLS command first'));
        if (this.opts.mail) return cb(errorFor(this.opts.mail));
        cb();
      },
      onRcptTo: (addr, _s, cb) => {
        const local = addr.address.split('@')[0]!.toLowerCase();
        for (const [prefix, reply] of Object.entries(this.opts.rcpt ?? {})) {
          if (local.startsWith(prefix) && !reply.startsWith('2')) return cb(errorFor(reply));
        }
        cb();
      },
      onData: (stream, session, cb) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', async () => {
          if (this.opts.dataDelayMs) {
            await new Promise((r) => setTimeout(r, this.opts.dataDelayMs));
            if (this.closed.has(session.id)) return cb(errorFor('421 4.4.2 client went away'));
          }
          if (this.opts.data && !this.opts.data.startsWith('2')) return cb(errorFor(this.opts.data));
          this.received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks),
            secure: session.secure,
            user: (session.user as string | undefined) ?? null,
          });
          cb(null, '2.0.0 Ok: queued upstream');
        });
      },
    };
    this.server = new SMTPServer(options);
    // A client killed mid-session (crash tests) resets the socket; that is not a test failure.
    this.server.on('error', () => undefined);
    await new Promise<void>((resolve) => this.server.listen(this.opts.port ?? 0, '127.0.0.1', () => resolve()));
    this.port = (this.server.server.address() as AddressInfo).port;
    return this;
  }

  /** All recipients the upstream accepted a message for, flattened. */
  deliveredTo(): string[] {
    return this.received.flatMap((r) => r.to);
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
