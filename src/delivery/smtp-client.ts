import { isIP } from 'node:net';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { Destination } from './route.js';

/** The shape of nodemailer's errors that we read. */
export interface SmtpClientError extends Error {
  code?: string;
  response?: string;
  responseCode?: number;
  command?: string;
  recipient?: string;
  rejectedErrors?: SmtpClientError[];
}

export interface ClientOptions {
  heloName: string;
  connectTimeoutMs: number;
  greetingTimeoutMs: number;
  socketTimeoutMs: number;
}

/** An open, authenticated upstream session, reusable for several transactions. */
export interface UpstreamSession {
  conn: SMTPConnection;
  dest: Destination;
  ip: string | null;
  tls: boolean;
  sent: number;
  broken: boolean;
}

/** Opens a session: connect, EHLO, STARTTLS as configured, AUTH if configured. */
export function openSession(dest: Destination, o: ClientOptions): Promise<UpstreamSession> {
  return new Promise((resolve, reject) => {
    const conn = new SMTPConnection({
      host: dest.host,
      port: dest.port,
      secure: dest.secure,
      requireTLS: dest.starttls === 'required',
      ignoreTLS: dest.starttls === 'off',
      opportunisticTLS: dest.starttls === 'opportunistic',
      name: o.heloName,
      connectionTimeout: o.connectTimeoutMs,
      greetingTimeout: o.greetingTimeoutMs,
      socketTimeout: o.socketTimeoutMs,
      socketCloseTimeout: 1_000,
      allowInternalNetworkInterfaces: true,
      tls: { rejectUnauthorized: dest.rejectUnauthorized, ...(isIP(dest.host) ? {} : { servername: dest.host }) },
      logger: false,
    });
    const session: UpstreamSession = { conn, dest, ip: null, tls: false, sent: 0, broken: false };
    let settled = false;
    conn.on('error', (err: SmtpClientError) => {
      session.broken = true;
      if (!settled) {
        settled = true;
        reject(err);
      }
    });
    conn.on('end', () => {
      session.broken = true;
    });
    conn.connect((err) => {
      if (err) {
        if (!settled) {
          settled = true;
          reject(err);
        }
        return;
      }
      const sock = conn._socket;
      session.ip = sock ? sock.remoteAddress ?? null : null;
      session.tls = conn.secure;
      if (!dest.auth) {
        settled = true;
        return resolve(session);
      }
      conn.login({ user: dest.auth.user, pass: dest.auth.pass }, (loginErr) => {
        if (settled) return;
        settled = true;
        if (loginErr) {
          conn.close();
          reject(loginErr);
        } else resolve(session);
      });
    });
  });
}

export type RefusalStage = 'mail' | 'rcpt' | 'data' | 'eod';

export interface TransactionResult {
  /** Recipients the server took, with the end-of-data reply. */
  accepted: string[];
  dataResponse: string | null;
  /** Per-recipient refusals at RCPT, or everyone's at MAIL, DATA or end of data. */
  rejected: Array<{ rcpt: string; response: string; stage: RefusalStage }>;
  /** Set when the session failed underneath the transaction (connection lost, timeout). */
  sessionError: SmtpClientError | null;
}

/** RFC 3461 parameters; nodemailer adds them only when the server advertises DSN. */
export interface DsnRequest {
  notify: Array<'SUCCESS' | 'FAILURE' | 'DELAY'>;
  ret: 'HDRS' | 'FULL';
  envid: string;
}

/**
 * nodemailer refuses a message larger than the server's advertised SIZE before sending MAIL FROM,
 * with no server reply. It is the server's limit all the same, so it is written as the reply a
 * server would give (RFC 1870: 552, RFC 3463: 5.3.4) and judged like one: permanent for this message.
 */
const LOCAL_SIZE_REFUSAL = /^Message size larger than allowed (\d+)/;

export function refusalStage(cmd: string, code: string | undefined): RefusalStage | null {
  if (cmd === 'MAIL FROM') return 'mail';
  // nodemailer reports both the DATA command's refusal (EENVELOPE) and the reply after the
  // message body (EMESSAGE) under "DATA"; only the second means the server read the message.
  if (cmd === 'DATA') return code === 'EMESSAGE' ? 'eod' : 'data';
  return null;
}

const rcptRefusals = (errs: SmtpClientError[] | undefined) =>
  (errs ?? []).map((r) => ({ rcpt: r.recipient ?? '', response: r.response ?? r.message, stage: 'rcpt' as const }));

/** One MAIL/RCPT/DATA transaction; never rejects, the outcome says what happened to whom. */
export function sendTransaction(s: UpstreamSession, from: string, rcpts: string[], raw: Buffer, dsn?: DsnRequest): Promise<TransactionResult> {
  return new Promise((resolve) => {
    s.conn.send({ from: from || false, to: rcpts, size: raw.length, use8BitMime: true, ...(dsn ? { dsn } : {}) }, raw, (err, info) => {
      s.sent++;
      if (!err && info) {
        return resolve({ accepted: info.accepted, dataResponse: info.response, rejected: rcptRefusals(info.rejectedErrors as SmtpClientError[]), sessionError: null });
      }
      const e = err as SmtpClientError;
      const cmd = e.command ?? '';
      if (e.code === 'EENVELOPE' && cmd === 'RCPT TO' && e.rejectedErrors) {
        return resolve({ accepted: [], dataResponse: null, sessionError: null, rejected: rcptRefusals(e.rejectedErrors) });
      }
      const tooBig = !e.response && e.code === 'EMESSAGE' ? LOCAL_SIZE_REFUSAL.exec(e.message) : null;
      const response = tooBig ? `552 5.3.4 Message size exceeds fixed maximum message size (${tooBig[1]} bytes, advertised by the server)` : e.response;
      const stage = refusalStage(cmd, e.code);
      if ((e.code === 'EENVELOPE' || e.code === 'EMESSAGE') && response && stage) {
        const rejectedAtRcpt = rcptRefusals(e.rejectedErrors);
        const refused = new Set(rejectedAtRcpt.map((r) => r.rcpt));
        return resolve({
          accepted: [], dataResponse: null, sessionError: null,
          rejected: [...rejectedAtRcpt, ...rcpts.filter((r) => !refused.has(r)).map((rcpt) => ({ rcpt, response, stage }))],
        });
      }
      s.broken = true;
      resolve({ accepted: [], dataResponse: null, rejected: [], sessionError: e });
    });
  });
}

/** RSET after a failed transaction so the session can be reused. */
export function resetSession(s: UpstreamSession): Promise<boolean> {
  return new Promise((resolve) => {
    if (s.broken) return resolve(false);
    s.conn.reset((err) => resolve(!err));
  });
}

export function closeSession(s: UpstreamSession): void {
  s.broken = true;
  try {
    s.conn.quit();
  } catch {
    s.conn.close();
  }
}
