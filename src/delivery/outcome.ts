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

/** Why the upstream refused our MAIL FROM: TLS or AUTH demanded, or the sender itself. */
export function mailRejectionCause(response: string): IntegrationCause {
  if (/starttls|\btls\b|encrypt/i.test(response)) return 'tls';
  if (/^530\b|5\.7\.0 .*auth|authenticat/i.test(response)) return 'auth';
  return 'sender';
}

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
  const v = classifyReply({ code: o.code ?? undefined, enhanced: o.enhanced ?? undefined, text: o.response });
  const permanent = o.permanent ?? (code >= 500 || (!code && (o.enhanced ?? '').startsWith('5')));
  return { status: permanent ? 'bounced' : 'deferred', reason: v.reason, category: v.category, hard: permanent && v.hard };
}
