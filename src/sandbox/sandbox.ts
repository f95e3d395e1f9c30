import type { AddressInfo } from 'node:net';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { SMTPServer } from 'smtp-server';
import { smtpError } from '../smtp/enhanced-replies.js';
import type { Logger } from '../util/logger.js';
import { arf, autoReply, dsn, type Original } from './reports.js';

export interface SandboxOptions {
  host: string;
  port: number;
  /** Where the asynchronous reports go (Rebound's return-path server). */
  returnPath: { host: string; port: number };
  /** Name used in the reports it sends. */
  name: string;
  /** Delay before an asynchronous report is sent. */
  reportDelayMs: number;
  logger: Logger;
}

/** What each sandbox recipient (by local part, any domain) does. */
export const SANDBOX_RECIPIENTS: Record<string, string> = {
  success: '250: accepted',
  bounce: '550 5.1.1: no such user',
  full: '452 4.2.2: mailbox full (deferred, retried)',
  blocked: '554 5.7.1: rejected by a blocklist',
  ooto: 'accepted, then an out-of-office auto-reply to the return path',
  complaint: 'accepted, then an ARF spam complaint to the return path',
  'late-bounce': 'accepted, then a DSN (550 5.1.1) to the return path',
};

type Later = 'ooto' | 'complaint' | 'late-bounce';

function headerSection(raw: Buffer): string {
  const s = raw.toString('utf8');
  const end = s.indexOf('\r\n\r\n');
  return end === -1 ? s.slice(0, 8192) : s.slice(0, end + 2);
}

/**
 * A local SMTP server that plays the outside world for tests and for a newcomer's first try:
 * it answers per recipient and sends bounces, complaints and auto-replies back to the return path.
 */
export class Sandbox {
  private server: SMTPServer | null = null;
  private timers = new Set<NodeJS.Timeout>();
  port = 0;
  readonly sent: Array<{ kind: Later; to: string; rcpt: string }> = [];

  constructor(private readonly o: SandboxOptions) {}

  async start(): Promise<number> {
    const server = new SMTPServer({
      name: this.o.name,
      banner: 'Rebound sandbox (plays the outside world)',
      disabledCommands: ['AUTH', 'STARTTLS'],
      authOptional: true,
      disableReverseLookup: true,
      hideENHANCEDSTATUSCODES: false,
      logger: false,
      onRcptTo: (addr, _s, cb) => {
        const local = addr.address.split('@')[0]!.toLowerCase();
        if (local === 'bounce') return cb(smtpError(550, '5.1.1', `<${addr.address}>: Recipient address rejected: User unknown in virtual mailbox table`));
        if (local === 'full') return cb(smtpError(452, '4.2.2', `<${addr.address}>: Mailbox full, try again later`));
        if (local === 'blocked') return cb(smtpError(554, '5.7.1', 'Service unavailable; Client host [127.0.0.1] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/127.0.0.1'));
        cb();
      },
      onData: (stream, session, cb) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks);
          const headers = headerSection(raw);
          const messageId = /^message-id:\s*<([^>]+)>/im.exec(headers)?.[1] ?? null;
          const subject = /^subject:[ \t]*(.*)$/im.exec(headers)?.[1]?.trim() ?? '';
          const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
          for (const r of session.envelope.rcptTo) {
            const local = r.address.split('@')[0]!.toLowerCase();
            if ((local === 'ooto' || local === 'complaint' || local === 'late-bounce') && from) {
              this.later(local, { envelopeFrom: from, rcpt: r.address, headers, messageId, subject }, session.remoteAddress);
            }
          }
          cb(null, '2.0.0 Ok: accepted by the sandbox');
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(this.o.port, this.o.host, () => resolve());
    });
    this.server = server;
    this.port = (server.server.address() as AddressInfo).port;
    return this.port;
  }

  private later(kind: Later, o: Original, clientIp: string): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      const body = kind === 'ooto' ? autoReply(o) : kind === 'complaint' ? arf(o, this.o.name, clientIp) : dsn(o, this.o.name);
      // Bounces use the null sender; auto-replies and complaints come from a mailbox.
      const from = kind === 'late-bounce' ? '' : kind === 'ooto' ? o.rcpt : `fbl@${this.o.name}`;
      this.send(from, o.envelopeFrom, body).then(
        () => {
          this.sent.push({ kind, to: o.envelopeFrom, rcpt: o.rcpt });
          this.o.logger.info({ kind, to: o.envelopeFrom, rcpt: o.rcpt }, 'sandbox: report sent to the return path');
        },
        (err: Error) => this.o.logger.warn({ kind, err: err.message }, 'sandbox: could not send report'),
      );
    }, this.o.reportDelayMs);
    this.timers.add(t);
  }

  private send(from: string, to: string, body: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const conn = new SMTPConnection({ host: this.o.returnPath.host, port: this.o.returnPath.port, ignoreTLS: true, name: this.o.name, logger: false });
      conn.on('error', reject);
      conn.connect((err) => {
        if (err) return reject(err);
        conn.send({ from: from || false, to: [to] }, body, (e) => {
          conn.quit();
          if (e) reject(e);
          else resolve();
        });
      });
    });
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const s = this.server;
    this.server = null;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }
}
