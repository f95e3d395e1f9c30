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

/** Texts that name a missing mailbox whatever the command or status. */
const CERTAIN_USERUNKNOWN = [
  'doesn\'t have a', 'does not have an account', 'no such user', 'no such mailbox', 'no mailbox here by that name',
  'recipient name is not recognized', 'recipientnotfound', 'email account that you tried to reach does not exist',
  'not listed in', 'mailbox does not exist', 'user does not exist',
];

/**
 * "User unknown" is only trusted as a missing mailbox when the refusal came at RCPT, or the status
 * says so (x.1.x), or nothing says otherwise. After DATA, or under a status of another kind
 * (5.2.1, 5.7.1), the recipient was accepted and then refused: a filter.
 */
function userunknownOrFiltered(text: string, enhanced: string, command: string | undefined): Reason {
  if (CERTAIN_USERUNKNOWN.some((p) => text.includes(p))) return 'userunknown';
  const c = command?.toUpperCase();
  if (c === 'RCPT' || /^\d\.1\./.test(enhanced)) return 'userunknown';
  if (c === 'DATA') return 'filtered';
  if (!enhanced || /^\d\.0\./.test(enhanced)) return 'userunknown';
  return 'filtered';
}

/** The reason alone, before hard/soft and category are derived. */
export function reasonOf(input: ReplyInput): Reason {
  const enhanced = enhancedOf(input);
  const code = codeOf(input);
  if (enhanced.startsWith('2.') || (code !== undefined && code < 300)) return 'delivered';
  const fromStatus = reasonFromEnhanced(enhanced);
  if (fromStatus?.strong) return fromStatus.reason;

  const normalised = normaliseText(input.text ?? '');
  let fromText = reasonFromText(normalised);
  if (fromText === 'userunknown') fromText = userunknownOrFiltered(normalised, enhanced, input.command);
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
