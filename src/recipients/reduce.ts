import type { Attempt, RecipientRecord } from '../types.js';

export function emptyRecipient(email: string): RecipientRecord {
  return {
    email, invalid: false, reason: null, category: null, lastStatus: null, lastEventAt: null,
    lastQueueId: null, lastResponse: null, consecutiveFailures: 0, attemptsSinceFlag: 0,
    flaggedAt: null, deliveredCount: 0, failedCount: 0, suppressed: false, suppressedAt: null, suppressedReason: null,
    reconciledCount: 0,
  };
}

export type FlagChange = 'flag' | 'clear' | null;

/** Sets the invalid flag on a record being built; true when it was not set before. */
export function raiseFlag(r: RecipientRecord, at: number): boolean {
  if (r.invalid) return false;
  r.invalid = true;
  r.flaggedAt = at;
  r.attemptsSinceFlag = 0;
  return true;
}

/** Clears the invalid flag on a record being built; true when it was set. */
export function dropFlag(r: RecipientRecord): boolean {
  if (!r.invalid) return false;
  r.invalid = false;
  r.flaggedAt = null;
  r.attemptsSinceFlag = 0;
  return true;
}

/**
 * The recipient state machine: folds one delivery attempt into the recipient's record.
 * Only a hard verdict (the address itself is bad) sets the invalid flag; any success clears it.
 * Integration errors say nothing about the recipient and leave the record untouched.
 */
export function applyAttempt(prev: RecipientRecord | undefined, a: Attempt): { record: RecipientRecord; change: FlagChange } {
  const r: RecipientRecord = { ...emptyRecipient(a.rcpt), ...prev };
  if (a.integration) return { record: r, change: null };
  let change: FlagChange = null;
  r.lastStatus = a.status;
  r.lastEventAt = a.finishedAt;
  r.lastQueueId = a.queueId;
  r.lastResponse = a.response;
  if (r.invalid) r.attemptsSinceFlag++;
  if (a.status === 'delivered') {
    r.deliveredCount++;
    r.consecutiveFailures = 0;
    r.reason = null;
    r.category = null;
    if (dropFlag(r)) change = 'clear';
    return { record: r, change };
  }
  r.consecutiveFailures++;
  if (a.status !== 'deferred') r.failedCount++;
  r.reason = a.reason ?? null;
  r.category = a.category ?? null;
  if (a.hard && a.status === 'bounced' && raiseFlag(r, a.finishedAt)) change = 'flag';
  return { record: r, change };
}

/** Clears a flag by hand (operator action). */
export function clearFlag(prev: RecipientRecord, at: number): { record: RecipientRecord; change: FlagChange } {
  if (!prev.invalid) return { record: prev, change: null };
  const r = { ...prev, lastEventAt: at };
  dropFlag(r);
  return { record: r, change: 'clear' };
}

/**
 * Folds a reconciliation into the recipient's record: a failure we recorded for `queueId` was
 * contradicted by a delivery log (a server response mismatch). The false failure is taken back
 * (delivered, not failed); when it was the recipient's latest outcome, or the one that set the
 * flag, the record reads as delivered and the flag is cleared.
 */
export function applyReconcile(
  prev: RecipientRecord | undefined,
  m: { rcpt: string; queueId: string; at: number; flaggedBy: string | null },
): { record: RecipientRecord; change: FlagChange } {
  const r: RecipientRecord = { ...emptyRecipient(m.rcpt), ...prev };
  r.reconciledCount++;
  r.deliveredCount++;
  r.failedCount = Math.max(0, r.failedCount - 1);
  r.lastEventAt = Math.max(r.lastEventAt ?? 0, m.at);
  const latest = r.lastQueueId === m.queueId;
  if (latest) {
    r.lastStatus = 'delivered';
    r.consecutiveFailures = 0;
    r.reason = null;
    r.category = null;
  }
  const change: FlagChange = (latest || m.flaggedBy === m.queueId) && dropFlag(r) ? 'clear' : null;
  return { record: r, change };
}
