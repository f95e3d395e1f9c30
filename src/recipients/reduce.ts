import type { Attempt, FlagClearedBy, RecipientRecord } from '../types.js';

export function emptyRecipient(email: string): RecipientRecord {
  return {
    email, invalid: false, reason: null, category: null, lastStatus: null, lastEventAt: null,
    lastQueueId: null, lastResponse: null, consecutiveFailures: 0, attemptsSinceFlag: 0,
    flaggedAt: null, deliveredCount: 0, failedCount: 0, suppressed: false, suppressedAt: null, suppressedReason: null,
    reconciledCount: 0, clearedBy: null, clearedAt: null, awaiting: null,
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

/** Clears the invalid flag on a record being built, noting the evidence; true when it was set. */
export function dropFlag(r: RecipientRecord, by: FlagClearedBy, at: number): boolean {
  r.awaiting = null;
  if (!r.invalid) return false;
  r.invalid = false;
  r.flaggedAt = null;
  r.attemptsSinceFlag = 0;
  r.clearedBy = by;
  r.clearedAt = at;
  return true;
}

/** How a 250 counts: 'final' from the recipient's MX, 'accepted' from a smarthost that passes the message on. */
export type Acceptance = 'final' | 'accepted';

/**
 * The recipient state machine: folds one delivery attempt into the recipient's record.
 * Only a hard verdict (the address itself is bad) sets the invalid flag; a final 250 clears it.
 * A smarthost's 250 is acceptance, not delivery: a flag stays (the next DSN would only set it
 * again) and waits for that message's evidence (see settleAwaiting). Integration errors say
 * nothing about the recipient and leave the record untouched.
 */
export function applyAttempt(prev: RecipientRecord | undefined, a: Attempt, acceptance: Acceptance = 'final'): { record: RecipientRecord; change: FlagChange } {
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
    if (acceptance === 'accepted' && r.invalid) {
      r.awaiting = { queueId: a.queueId, since: a.finishedAt };
      return { record: r, change };
    }
    r.consecutiveFailures = 0;
    r.reason = null;
    r.category = null;
    if (dropFlag(r, 'delivery', a.finishedAt)) change = 'clear';
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
  dropFlag(r, 'operator', at);
  return { record: r, change: 'clear' };
}

/**
 * Reconcile found the message a smarthost accepted for this flagged address delivered at the end
 * of the chain (a mailbox, the recipient's MX): that is the evidence that clears the flag.
 */
export function applyAcceptedDelivered(prev: RecipientRecord, queueId: string, at: number): { record: RecipientRecord; change: FlagChange } {
  if (!prev.invalid || prev.awaiting?.queueId !== queueId) return { record: prev, change: null };
  const r: RecipientRecord = { ...prev, lastEventAt: Math.max(prev.lastEventAt ?? 0, at) };
  dropFlag(r, 'reconcile', at);
  r.consecutiveFailures = 0;
  r.reason = null;
  r.category = null;
  return { record: r, change: 'clear' };
}

/**
 * A flag whose address a smarthost accepted mail for, with no bounce for that message within
 * `windowMs`: the silence is the evidence of delivery, and the flag clears.
 */
export function settleAwaiting(prev: RecipientRecord, now: number, windowMs: number): { record: RecipientRecord; change: FlagChange } {
  const w = prev.awaiting;
  if (!w || now - w.since < windowMs) return { record: prev, change: null };
  const r: RecipientRecord = { ...prev };
  if (!dropFlag(r, 'bounce-window', now)) return { record: r, change: null };
  r.consecutiveFailures = 0;
  r.reason = null;
  r.category = null;
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
  const change: FlagChange = (latest || m.flaggedBy === m.queueId) && dropFlag(r, 'reconcile', m.at) ? 'clear' : null;
  return { record: r, change };
}
