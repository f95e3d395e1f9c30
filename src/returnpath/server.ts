import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { smtpError } from '../smtp/enhanced-replies.js';
import { limitSessionLength } from '../smtp/session-deadline.js';
import { SERVE_HALF_CLOSED } from '../smtp/half-close.js';
import '../smtp/pipelined-transactions.js';
import type { Config } from '../config.js';
import type { Logger } from '../util/logger.js';
import type { Clock } from '../util/clock.js';
import type { ReportProcessor } from './process.js';
import { ArchiveFullError } from './report-archive.js';
import { StoreNotDurableError } from './process.js';
import { ClientByteRate } from './client-rate.js';

export interface ReturnPathServerDeps {
  config: Config['returnPath'];
  tls: Config['submission']['tls'];
  hostname: string;
  domains: string[];
  processor: ReportProcessor;
  logger: Logger;
  clock: Clock;
}

/**
 * The inbound server bounces, complaints and auto-replies come back to. It is an MX for the
 * return-path domain(s) only: no AUTH, and every other recipient is refused, so it is never a relay.
 */
export class ReturnPathServer {
  private server: SMTPServer | null = null;
  private readonly rate: ClientByteRate;

  constructor(private readonly deps: ReturnPathServerDeps) {
    this.rate = new ClientByteRate(deps.config.clientBytesPerMinute, 60_000, deps.clock);
  }

  private overRate(client: string): Error {
    this.deps.logger.warn({ client, bytes: this.rate.used(client), limit: this.deps.config.clientBytesPerMinute }, 'return path: client over its report byte rate');
    return smtpError(451, '4.7.1', 'Too much report data from your address in the last minute, try again later');
  }

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
      // A client already over its byte budget is told so before it sends the next report.
      onMailFrom: (_address, session, cb) => cb(this.rate.allows(session.remoteAddress, 0) ? undefined : this.overRate(session.remoteAddress)),
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
      const client = session.remoteAddress;
      // Every byte received counts, refused or not: a client that keeps sending stays refused.
      const allowed = this.rate.allows(client, bytes);
      this.rate.record(client, bytes);
      if (!allowed) return cb(this.overRate(client));
      const env = session.envelope;
      const envelope = { from: env.mailFrom ? env.mailFrom.address : '', rcpts: env.rcptTo.map((r) => r.address) };
      // The answer waits until the report and its effects are on disk (see ReportProcessor).
      this.deps.processor.process(Buffer.concat(chunks, bytes), envelope).then(
        (r) => cb(null, `2.0.0 Ok: report ${r.reportId}${r.duplicate ? ' (already recorded)' : ''}`),
        (err: Error) => {
          // Nothing is lost: a temporary failure makes the sender try again.
          if (err instanceof ArchiveFullError) {
            this.deps.logger.error({ err: err.message, client }, 'return path: report archive is full (returnPath.archiveMaxBytes); refusing reports');
            return cb(smtpError(452, '4.3.1', 'Report storage is full, try again later'));
          }
          if (err instanceof StoreNotDurableError) {
            this.deps.logger.error({ err: err.message, client }, 'return path: the store cannot write; answering reports 451 until it can');
            return cb(smtpError(451, '4.3.0', 'Could not record the report yet, try again later'));
          }
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
