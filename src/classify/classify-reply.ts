import { categoryOf } from './categories.js';
import { decideReason } from './decide.js';
import { normaliseText } from './reason/index.js';
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

/** The stage names the decision knows (delivery says EHLO, parsers HELO; both are the greeting). */
function commandOf(command: string | undefined): string {
  const c = (command ?? '').toUpperCase();
  return c === 'HELO' ? 'EHLO' : c;
}

/** The reason alone, before hard/soft and category are derived. */
export function reasonOf(input: ReplyInput): Reason {
  return decideReason({
    status: enhancedOf(input), code: codeOf(input), command: commandOf(input.command), text: normaliseText(input.text ?? ''),
  });
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
