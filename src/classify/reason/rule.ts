import type { Reason } from '../types.js';

/**
 * One reason's evidence: plain phrases (literal substrings of the normalised, lower-cased text)
 * plus a few patterns where wording varies.
 */
export interface ReasonRule {
  readonly reason: Reason;
  readonly phrases: readonly string[];
  readonly patterns: readonly RegExp[];
  /** True when the normalised text carries this reason's evidence. */
  probe(text: string): boolean;
}

export function defineRule(reason: Reason, phrases: readonly string[], patterns: readonly RegExp[] = []): ReasonRule {
  const lowered = phrases.map((p) => p.toLowerCase());
  // One alternation of escaped literals: no quantifiers, so no backtracking, and about five times
  // faster than a substring search per phrase.
  const any = lowered.length ? new RegExp(lowered.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')) : undefined;
  return {
    reason,
    phrases: lowered,
    patterns,
    probe(text: string): boolean {
      if (any?.test(text)) return true;
      for (const re of patterns) if (re.test(text)) return true;
      return false;
    },
  };
}

/** Lower-case, collapse whitespace, cap the length: the form every probe receives. */
export function normaliseText(text: string, cap = 4096): string {
  return text.slice(0, cap).toLowerCase().replace(/\s+/g, ' ').trim();
}
