import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';

// smtp-server prefixes every error reply with the default enhanced code of its reply code
// (550 always becomes "550 5.1.1"), so "550 5.7.1 ..." from a handler would read
// "550 5.1.1 5.7.1 ...". This makes a reply whose text already starts with an enhanced code
// go out as written. Applied once, process-wide, on import.
const ENHANCED_PREFIX = /^[245]\.\d{1,3}\.\d{1,3} /;
const PATCHED = Symbol.for('rebound.enhancedReplies');

interface Sendable {
  send(code: number, data: unknown, context?: unknown): void;
  [PATCHED]?: boolean;
}

const proto = (SMTPConnection as unknown as { prototype: Sendable }).prototype;
if (!proto[PATCHED]) {
  const original = proto.send;
  proto.send = function send(this: Sendable, code: number, data: unknown, context?: unknown) {
    if (typeof data === 'string' && ENHANCED_PREFIX.test(data)) return original.call(this, code, data, false);
    return original.call(this, code, data, context);
  };
  proto[PATCHED] = true;
}

/** An error for an smtp-server handler callback that carries the exact reply. */
export function smtpError(code: number, enhanced: string, text: string): Error & { responseCode: number } {
  const err = new Error(`${enhanced} ${text}`) as Error & { responseCode: number };
  err.responseCode = code;
  return err;
}
