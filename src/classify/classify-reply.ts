import { categoryOf } from './categories.js';
import { normaliseText, reasonFromText } from './reason/index.js';
import { reasonFromBasicCode, reasonFromEnhanced } from './status-codes.js';
import type { Reason, ReplyInput, Verdict } from './types.js';

/** Reasons that mean the address itself is bad: the only ones that may flag a recipient. */
export const HARD_REASONS: ReadonlySet<Reason> = new Set(['userunknown', 'hostunknown', 'hasmoved', 'notaccept']);

const ENHANCED_IN_TEXT = /(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.]*\d)/;
const CODE_AT_START = /^\s*([245]\d\d)(?=[\s\-:]|$)/;

/** Enhanced code given, or the first one written in the text. */
export function enhancedOf(input: ReplyInput): string {
  if (input.enhanced && /^[245]\.\d{1,3}\.\d{1,3}$/.test(input.enhanced)) return input.enhanced;
  const m = ENHANCED_IN_TEXT.exec((input.text ?? '').slice(0, 4096));
  return m ? m[0] : '';
}

/** Basic reply code given, or the one the text starts with. */
export function codeOf(input: ReplyInput): number | undefined {
  if (input.code && input.code >= 200 && input.code < 600) return input.code;
  const m = CODE_AT_START.exec(input.text ?? '');
  return m ? Number(m[1]) : undefined;
}

/** What the SMTP command at failure time tells us when the text does not. */
function reasonFromCommand(command: string | undefined): Reason | undefined {
  if (!command) return undefined;
  const c = command.toUpperCase();
  if (c === 'MAIL') return 'rejected';
  if (c === 'HELO' || c === 'EHLO') return 'blocked';
  if (c === 'CONN') return 'blocked';
  return undefined;
}

/** The reason alone, before hard/soft and category are derived. */
export function reasonOf(input: ReplyInput): Reason {
  const enhanced = enhancedOf(input);
  const code = codeOf(input);
  if (enhanced.startsWith('2.') || (code !== undefined && code < 300)) return 'delivered';
  const fromStatus = reasonFromEnhanced(enhanced);
  if (fromStatus?.strong) return fromStatus.reason;

  let fromText = reasonFromText(normaliseText(input.text ?? ''));
  // Accepted at RCPT, refused after DATA: a filter, not a missing mailbox.
  if (fromText === 'userunknown' && input.command?.toUpperCase() === 'DATA') fromText = 'filtered';
  if (fromText) return fromText;

  const fromCommand = reasonFromCommand(input.command);
  if (fromCommand) return fromCommand;
  if (fromStatus) return fromStatus.reason;
  const fromCode = reasonFromBasicCode(code);
  if (fromCode) return fromCode;
  return code || enhanced || input.text ? 'onhold' : 'undefined';
}

/** Permanent unless the reply says it is temporary (4xx code or 4.x.x status). */
export function isPermanent(input: ReplyInput): boolean {
  if (typeof input.permanent === 'boolean') return input.permanent;
  const code = codeOf(input);
  if (code !== undefined) return code >= 500;
  const enhanced = enhancedOf(input);
  if (enhanced) return enhanced.startsWith('5.');
  return false;
}

export function classifyReply(input: ReplyInput): Verdict {
  const reason = input.reason ?? reasonOf(input);
  const permanent = isPermanent(input);
  return { reason, hard: permanent && HARD_REASONS.has(reason), category: categoryOf(reason), permanent };
}
