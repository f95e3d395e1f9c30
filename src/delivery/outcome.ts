import { classifyReply, categoryOf, parseReply } from '../classify/index.js';
import type { Attempt, IntegrationCause } from '../types.js';
import type { SmtpClientError } from './smtp-client.js';

/** What one attempt said about one recipient, before bookkeeping turns it into an Attempt. */
export interface RawOutcome {
  rcpt: string;
  stage: Attempt['stage'];
  response: string;
  /** Reply code when the server gave one; null for connection-level failures. */
  code: number | null;
  enhanced: string | null;
  integration?: IntegrationCause;
  /** Forces the status regardless of the code (routing verdicts without an SMTP reply). */
  permanent?: boolean;
}

export function fromReply(rcpt: string, stage: Attempt['stage'], response: string): RawOutcome {
  const p = parseReply(response);
  return { rcpt, stage, response: response.trim(), code: p.code || null, enhanced: p.enhanced || null };
}

/** Which integration problem a session-level error is. */
export function integrationCause(err: SmtpClientError): IntegrationCause {
  const cmd = err.command ?? '';
  if (err.code === 'EAUTH' || err.code === 'ENOAUTH' || cmd.startsWith('AUTH')) return 'auth';
  if (err.code === 'ETLS' || cmd === 'STARTTLS' || /certificate|tls|ssl/i.test(err.message)) return 'tls';
  if (err.code === 'EDNS' || (err as NodeJS.ErrnoException).code === 'ENOTFOUND' || /ENOTFOUND|EAI_AGAIN/.test(err.message)) return 'dns';
  if (err.code === 'ETIMEDOUT') return 'timeout';
  if (err.code === 'EPROTOCOL' && cmd === 'CONN') return 'greeting';
  if (err.code === 'EPROTOCOL') return 'protocol';
  return 'connection';
}

/**
 * Why the upstream refused our MAIL FROM. Refusals about our setup (TLS or AUTH demanded, the
 * smarthost not relaying for us, the sender address) are integration errors: no recipient is at
 * fault. A refusal about the message itself (too big, content or policy) returns null: the message
 * bounces for its recipients, like any other permanent reply to it.
 */
export function mailRejectionCause(response: string): IntegrationCause | null {
  const p = parseReply(response);
  if (/starttls|\btls\b|encrypt/i.test(response)) return 'tls';
  if (p.code === 530 || /5\.7\.0 .*auth|authenticat|relay(?:ing)? (?:denied|not permitted|access denied)/i.test(response)) return 'auth';
  if (p.code === 552 || /^5\.3\.4$/.test(p.enhanced) || /\b(?:message|mail) (?:size|too (?:big|large))|exceeds? (?:the )?(?:fixed )?(?:maximum )?(?:message )?size/i.test(response)) return null;
  if (/^5\.7\.(?:1|7|26|27)$/.test(p.enhanced) && !/sender|from address|envelope|domain/i.test(response) && /polic|spam|content|message|blocked|listed|reputation/i.test(response)) return null;
  return 'sender';
}

/** The SMTP command the classifier is told a stage's reply answered. */
const COMMAND_OF_STAGE: Record<Attempt['stage'], string | undefined> = {
  connect: 'CONN', helo: 'EHLO', mail: 'MAIL', rcpt: 'RCPT', data: 'DATA', eod: 'DATA', expiry: undefined,
};

export function describeError(err: SmtpClientError): { code: number | null; enhanced: string | null; response: string } {
  if (err.response) {
    const p = parseReply(err.response);
    return { code: p.code || null, enhanced: p.enhanced || null, response: err.response.trim() };
  }
  return { code: null, enhanced: null, response: err.message };
}

/** The status an outcome gives the recipient, and the classifier's verdict for failures. */
export function judge(o: RawOutcome): Pick<Attempt, 'status' | 'reason' | 'category' | 'hard'> {
  if (o.integration) {
    // Not about the recipient: deferred, never hard, whatever the code says.
    const reason = o.integration === 'auth' ? 'authfailure' : o.integration === 'tls' ? 'failedstarttls' : o.integration === 'sender' ? 'rejected' : 'networkerror';
    return { status: 'deferred', reason, category: categoryOf(reason), hard: false };
  }
  const code = o.code ?? 0;
  if (code >= 200 && code < 300) return { status: 'delivered' };
  const v = classifyReply({ code: o.code ?? undefined, enhanced: o.enhanced ?? undefined, text: o.response, command: COMMAND_OF_STAGE[o.stage] });
  const permanent = o.permanent ?? (code >= 500 || (!code && (o.enhanced ?? '').startsWith('5')));
  const status = permanent ? 'bounced' : 'deferred';
  // A refusal before any recipient was named (greeting, EHLO, MAIL) cannot be about the recipient.
  if (o.stage === 'helo' || o.stage === 'mail') return { status, reason: v.reason, category: v.category, hard: false };
  // After end of DATA the server had already taken this recipient at RCPT and then read the
  // message: whatever the words ("550 5.1.1 user unknown"), that is a verdict on the message.
  if (o.stage === 'eod' && v.hard) return { status, reason: 'filtered', category: categoryOf('filtered'), hard: false };
  return { status, reason: v.reason, category: v.category, hard: permanent && v.hard };
}
