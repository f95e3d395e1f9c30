import type { RecipientRecord } from '../../types.js';

/**
 * One record from two spellings of the same address (stores written before addresses were
 * normalised). The more recent record describes the current state; a suppression is never lost
 * (it came from a complaint or an operator); counts add up; the address shown is the older one's.
 */
export function mergeRecipients(a: RecipientRecord | undefined, b: RecipientRecord): RecipientRecord {
  if (!a) return b;
  const [older, newer] = (a.lastEventAt ?? 0) <= (b.lastEventAt ?? 0) ? [a, b] : [b, a];
  const suppressedBy = newer.suppressed ? newer : older.suppressed ? older : null;
  return {
    ...newer,
    email: older.email,
    deliveredCount: a.deliveredCount + b.deliveredCount,
    failedCount: a.failedCount + b.failedCount,
    reconciledCount: a.reconciledCount + b.reconciledCount,
    suppressed: !!suppressedBy,
    suppressedAt: suppressedBy?.suppressedAt ?? null,
    suppressedReason: suppressedBy?.suppressedReason ?? null,
  };
}
