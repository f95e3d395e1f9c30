import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession, type SMTPServerDataStream } from 'smtp-server';
import { smtpError } from '../smtp/enhanced-replies.js';
import { limitSessionLength } from '../smtp/session-deadline.js';
import { SERVE_HALF_CLOSED } from '../smtp/half-close.js';
import '../smtp/pipelined-transactions.js';
import '../smtp/auth-after-tls.js';
import type { Config } from '../config.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { newQueueId } from '../util/ids.js';
import { verifyPassword } from '../util/password.js';
import type { Envelope } from '../types.js';
import { AuthThrottle } from './auth-throttle.js';
import { NetworkList } from './trusted-networks.js';
import addressparser from 'nodemailer/lib/addressparser';
import { findMessageId, hasBareLineEnding, headerFields, normalizeLineEndings } from '../smtp/message-headers.js';

/** A refusal decided outside submission (for example, a suppressed recipient). */
export interface Refusal {
  code: number;
  enhanced: string;
  text: string;
}

export interface SubmissionDeps {
  config: Config['submission'];
  hostname: string;
  logger: Logger;
  clock: Clock;
  /** Makes the message durable; submission answers 250 only after this resolves. */
  enqueue(envelope: Envelope, raw: Buffer): Promise<void>;
  /** Optional per-recipient policy (suppression list). */
  checkRecipient?(rcpt: string): Promise<Refusal | null>;
}

interface SessionUser {
  name: string;
  allowedSenderDomains: string[];
}

class StorageError extends Error {}

/** Whether the user may send as this address (its domain is one of the user's, or the user has no list). */
function senderAllowed(user: SessionUser, address: string): boolean {
  if (!user.allowedSenderDomains.length) return true;
  const at = address.lastIndexOf('@');
  return at > 0 && user.allowedSenderDomains.includes(address.slice(at + 1).toLowerCase());
}

/** A valid hash of a random secret nobody knows, checked for unknown users. */
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$HCBoafcFbxz0i3rwpXB5I3czwX0IibQaFsbB8qtXx1k=';

/**
 * The SMTP server customer systems submit to: authentication, TLS, limits and envelope checks.
 * It says 250 only once the spool holds the message durably.
 */
export class SubmissionServer {
  private servers: SMTPServer[] = [];
  private readonly trusted: NetworkList;
  private readonly throttle: AuthThrottle;
  private readonly users: Map<string, Config['submission']['users'][number]>;

  constructor(private readonly deps: SubmissionDeps) {
    this.trusted = new NetworkList(deps.config.trustedNetworks);
    this.throttle = new AuthThrottle(deps.config.maxAuthFailures, deps.config.authFailureWindowMs, deps.clock);
    this.users = new Map(deps.config.users.map((u) => [u.user, u]));
  }

  private options(secure: boolean): SMTPServerOptions {
    const c = this.deps.config;
    const tls = c.tls ? { key: readFileSync(c.tls.key), cert: readFileSync(c.tls.cert) } : {};
    return {
      ...tls,
      ...SERVE_HALF_CLOSED,
      secure,
      name: this.deps.hostname,
      banner: 'Rebound ESMTP',
      size: c.maxMessageBytes,
      authMethods: ['PLAIN', 'LOGIN'],
      // We decide ourselves who must authenticate (trusted networks may skip it).
      authOptional: true,
      // Without TLS configured, AUTH is still allowed (the default listener is loopback only).
      allowInsecureAuth: !c.tls,
      disabledCommands: c.tls ? [] : ['STARTTLS'],
      disableReverseLookup: true,
      hideENHANCEDSTATUSCODES: false,
      hideDSN: true,
      maxClients: c.maxClients,
      socketTimeout: c.socketTimeoutMs,
      closeTimeout: 5_000,
      logger: false,
      onConnect: (session, cb) => {
        if (this.throttle.blocked(session.remoteAddress)) {
          this.deps.logger.warn({ client: session.remoteAddress }, 'submission: refusing client after repeated failed logins');
          return cb(smtpError(421, '4.7.0', 'Too many failed logins from your address, try again later'));
        }
        cb();
      },
      onAuth: (auth, session, cb) => void this.onAuth(auth.method, auth.username, auth.password, session, cb),
      onMailFrom: (address, session, cb) => cb(this.checkSender(address.address, session)),
      onRcptTo: (address, session, cb) => {
        this.checkRecipient(address.address, session).then((err) => cb(err), (err: Error) => {
          this.deps.logger.error({ err: err.message, rcpt: address.address }, 'submission: recipient check failed');
          cb(smtpError(451, '4.3.0', 'Cannot check this recipient now, try again later'));
        });
      },
      onData: (stream, session, cb) => this.onData(stream, session, cb),
    };
  }

  private async onAuth(
    method: string,
    username: string | undefined,
    password: string | null | undefined,
    session: SMTPServerSession,
    cb: (err: Error | null | undefined, res?: { user?: SessionUser }) => void,
  ): Promise<void> {
    const ip = session.remoteAddress;
    // Counted before the password is checked, so parallel guesses cannot all slip under the limit.
    const attempt = this.throttle.begin(ip, username ?? '');
    if (!attempt) {
      this.deps.logger.warn({ client: ip, user: username, method }, 'submission: login refused, too many attempts for this address or user');
      return cb(smtpError(421, '4.7.0', 'Too many failed logins, closing connection'));
    }
    const u = username ? this.users.get(username) : undefined;
    // An unknown user costs the same scrypt as a known one, so timing does not tell which users exist.
    const checked = await verifyPassword(typeof password === 'string' ? password : '', u?.passwordHash ?? DUMMY_HASH);
    const ok = !!u && typeof password === 'string' && checked;
    if (!ok) {
      const n = this.throttle.count(attempt);
      this.deps.logger.warn({ client: ip, user: username, method, failures: n }, 'submission: authentication failed');
      if (n >= this.deps.config.maxAuthFailures) return cb(smtpError(421, '4.7.0', 'Too many failed logins, closing connection'));
      return cb(smtpError(535, '5.7.8', 'Authentication credentials invalid'));
    }
    this.throttle.succeeded(attempt);
    cb(null, { user: { name: u.user, allowedSenderDomains: u.allowedSenderDomains.map((d) => d.toLowerCase()) } });
  }

  private authorized(session: SMTPServerSession): boolean {
    return !!session.user || this.trusted.contains(session.remoteAddress);
  }

  private checkSender(address: string, session: SMTPServerSession): Error | undefined {
    if (!this.authorized(session)) return smtpError(530, '5.7.0', 'Authentication required');
    const user = session.user as SessionUser | undefined;
    if (user && !senderAllowed(user, address)) {
      return smtpError(553, '5.7.1', `Sender address <${address}> is not allowed for user ${user.name}`);
    }
    return undefined;
  }

  /**
   * The header From: must be allowed too: with VERP on, the envelope sender checked at MAIL FROM
   * is replaced on the way out, and From: is what the recipient sees.
   */
  private checkHeaderFrom(raw: Buffer, session: SMTPServerSession): void {
    const user = session.user as SessionUser | undefined;
    if (!user?.allowedSenderDomains.length) return;
    const addresses = headerFields(raw, 'from').flatMap((v) => addressparser(v, { flatten: true }).map((a) => a.address ?? ''));
    const bad = addresses.find((a) => !senderAllowed(user, a));
    if (bad === undefined) return;
    this.deps.logger.warn({ client: session.remoteAddress, user: user.name, headerFrom: bad }, 'submission: refused message with a header From: the user may not use');
    throw smtpError(550, '5.7.1', `Header From: <${bad}> is not allowed for user ${user.name}`);
  }

  private async checkRecipient(address: string, session: SMTPServerSession): Promise<Error | undefined> {
    if (!this.authorized(session)) return smtpError(530, '5.7.0', 'Authentication required');
    if (session.envelope.rcptTo.length >= this.deps.config.maxRecipients) {
      return smtpError(452, '4.5.3', `Too many recipients (at most ${this.deps.config.maxRecipients} per message)`);
    }
    if (!address.includes('@')) return smtpError(553, '5.1.3', 'Recipient address must be user@domain');
    const refusal = this.deps.checkRecipient ? await this.deps.checkRecipient(address) : null;
    if (refusal) return smtpError(refusal.code, refusal.enhanced, refusal.text);
    return undefined;
  }

  private onData(stream: SMTPServerDataStream, session: SMTPServerSession, cb: (err?: Error | null, message?: string) => void): void {
    const chunks: Buffer[] = [];
    let bytes = 0;
    const limit = this.deps.config.maxMessageBytes;
    stream.on('data', (c: Buffer) => {
      // Past the limit keep reading (to end the transaction cleanly) but stop storing.
      if (bytes <= limit) chunks.push(c);
      bytes += c.length;
    });
    stream.on('error', (err) => cb(err));
    stream.on('end', () => {
      if (stream.sizeExceeded || bytes > limit) {
        return cb(smtpError(552, '5.3.4', `Message size exceeds the limit of ${limit} bytes`));
      }
      void this.accept(Buffer.concat(chunks, bytes), session).then(
        (queueId) => cb(null, `2.0.0 Ok: queued as ${queueId}`),
        (err: Error) => {
          if (err instanceof StorageError) {
            this.deps.logger.error({ err: err.cause }, 'submission: could not store message');
            return cb(smtpError(452, '4.3.1', 'Insufficient system storage, try again later'));
          }
          cb(err);
        },
      );
    });
  }

  private async accept(data: Buffer, session: SMTPServerSession): Promise<string> {
    let raw = data;
    if (hasBareLineEnding(raw)) {
      if (this.deps.config.bareLineFeeds === 'reject') {
        // A bare LF (or CR) is how SMTP smuggling hides a second message ("\n.\n"); refuse it.
        this.deps.logger.warn({ client: session.remoteAddress }, 'submission: refused message with bare LF/CR line endings');
        throw smtpError(554, '5.6.0', 'Message contains bare LF or CR line endings; lines must end with CRLF');
      }
      raw = normalizeLineEndings(raw);
    }
    this.checkHeaderFrom(raw, session);
    const now = this.deps.clock.now();
    const queueId = newQueueId(now);
    const env = session.envelope;
    const user = session.user as SessionUser | undefined;
    let messageId = findMessageId(raw);
    const added: string[] = [];
    const helo = session.hostNameAppearsAs || 'unknown';
    const proto = `${session.envelope.smtpUtf8 ? 'UTF8' : ''}ESMTP${session.secure ? 'S' : ''}${user ? 'A' : ''}`;
    added.push(
      `Received: from ${helo} ([${session.remoteAddress}])\r\n\tby ${this.deps.hostname} (Rebound) with ${proto} id ${queueId};\r\n\t${new Date(now).toUTCString()}`,
    );
    added.push(`X-Rebound-Queue-Id: ${queueId}`);
    if (!messageId) {
      messageId = `${queueId}@${this.deps.hostname}`;
      added.push(`Message-ID: <${messageId}>`);
    }
    raw = Buffer.concat([Buffer.from(added.join('\r\n') + '\r\n', 'utf8'), raw]);
    const envelope: Envelope = {
      queueId,
      from: env.mailFrom ? env.mailFrom.address : '',
      rcpts: env.rcptTo.map((r) => r.address),
      messageId,
      receivedAt: now,
      size: raw.length,
      user: user?.name ?? null,
      clientIp: session.remoteAddress,
      smtpUtf8: !!env.smtpUtf8,
      bodyType: env.bodyType === '8bitmime' ? '8bitmime' : '7bit',
    };
    try {
      await this.deps.enqueue(envelope, raw);
    } catch (err) {
      throw new StorageError('spool write failed', { cause: err });
    }
    this.deps.logger.info({ queueId, messageId, from: envelope.from, rcpts: envelope.rcpts.length, size: envelope.size, user: envelope.user, client: envelope.clientIp }, 'accepted');
    return queueId;
  }

  /** Starts the plain (STARTTLS-capable) listener and, if configured, the implicit-TLS one. */
  async start(): Promise<{ port: number; securePort: number | null }> {
    const c = this.deps.config;
    const listen = (secure: boolean, port: number) =>
      new Promise<SMTPServer>((resolve, reject) => {
        const server = new SMTPServer(this.options(secure));
        limitSessionLength(server, c.maxSessionMs);
        server.on('error', (err) => this.deps.logger.warn({ err: err.message }, 'submission: connection error'));
        server.server.once('error', reject);
        server.listen(port, c.host, () => resolve(server));
      });
    const plain = await listen(false, c.port);
    this.servers.push(plain);
    let securePort: number | null = null;
    if (c.securePort !== null) {
      const s = await listen(true, c.securePort);
      this.servers.push(s);
      securePort = (s.server.address() as AddressInfo).port;
    }
    return { port: (plain.server.address() as AddressInfo).port, securePort };
  }

  /** Stops accepting; open sessions get `closeTimeout` to finish. */
  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    this.servers = [];
  }
}
