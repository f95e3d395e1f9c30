import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { smtpError } from '../smtp/enhanced-replies.js';
import { limitSessionLength } from '../smtp/session-deadline.js';
import { SERVE_HALF_CLOSED } from '../smtp/half-close.js';
import '../smtp/pipelined-transactions.js';
import type { Config } from '../config.js';
import type { Logger } from '../util/logger.js';
import type { ReportProcessor } from './process.js';

export interface ReturnPathServerDeps {
  config: Config['returnPath'];
  tls: Config['submission']['tls'];
  hostname: string;
  domains: string[];
  processor: ReportProcessor;
  logger: Logger;
}

/**
 * The inbound server bounces, complaints and auto-replies come back to. It is an MX for the
 * return-path domain(s) only: no AUTH, and every other recipient is refused, so it is never a relay.
 */
export class ReturnPathServer {
  private server: SMTPServer | null = null;

  constructor(private readonly deps: ReturnPathServerDeps) {}

  async start(): Promise<number> {
    const c = this.deps.config;
    const tls = this.deps.tls ? { key: readFileSync(this.deps.tls.key), cert: readFileSync(this.deps.tls.cert) } : {};
    const domains = new Set(this.deps.domains.map((d) => d.toLowerCase()));
    const server = new SMTPServer({
      ...tls,
      ...SERVE_HALF_CLOSED,
      name: this.deps.hostname,
      banner: 'Rebound return path',
      size: c.maxMessageBytes,
      disabledCommands: this.deps.tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
      authOptional: true,
      disableReverseLookup: true,
      hideENHANCEDSTATUSCODES: false,
      socketTimeout: c.socketTimeoutMs,
      maxClients: c.maxClients,
      closeTimeout: 5_000,
      logger: false,
      onRcptTo: (address, session, cb) => {
        if (session.envelope.rcptTo.length >= c.maxRecipients) {
          return cb(smtpError(452, '4.5.3', `Too many recipients (at most ${c.maxRecipients} per report)`));
        }
        const domain = address.address.slice(address.address.lastIndexOf('@') + 1).toLowerCase();
        if (!address.address.includes('@') || !domains.has(domain)) {
          return cb(smtpError(550, '5.1.1', `<${address.address}>: recipient not accepted here (this server only takes reports for its return-path domains)`));
        }
        cb();
      },
      onData: (stream, session, cb) => this.onData(stream, session, cb),
    });
    limitSessionLength(server, c.maxSessionMs);
    server.on('error', (err) => this.deps.logger.warn({ err: err.message }, 'return path: connection error'));
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(c.port, c.host, () => resolve());
    });
    this.server = server;
    return (server.server.address() as AddressInfo).port;
  }

  private onData(stream: SMTPServerDataStream, session: SMTPServerSession, cb: (err?: Error | null, msg?: string) => void): void {
    const limit = this.deps.config.maxMessageBytes;
    const chunks: Buffer[] = [];
    let bytes = 0;
    stream.on('data', (c: Buffer) => {
      if (bytes <= limit) chunks.push(c);
      bytes += c.length;
    });
    stream.on('end', () => {
      if (stream.sizeExceeded || bytes > limit) return cb(smtpError(552, '5.3.4', `Report exceeds the limit of ${limit} bytes`));
      const env = session.envelope;
      const envelope = { from: env.mailFrom ? env.mailFrom.address : '', rcpts: env.rcptTo.map((r) => r.address) };
      this.deps.processor.process(Buffer.concat(chunks, bytes), envelope).then(
        (r) => cb(null, `2.0.0 Ok: report ${r.reportId}`),
        (err: Error) => {
          // Nothing is lost: a temporary failure makes the sender try again.
          this.deps.logger.error({ err: err.message }, 'return path: could not record report');
          cb(smtpError(451, '4.3.0', 'Could not record the report, try again later'));
        },
      );
    });
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }
}
