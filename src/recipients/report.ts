import type { RecipientRecord, ReportOutcome } from '../types.js';
import { dropFlag, emptyRecipient, raiseFlag } from './reduce.js';

export type ReportChange = 'flag' | 'clear' | 'suppress';

/** A report that says the message was permanently refused (not an auto-reply, complaint or success notice). */
export function isBounceReport(o: Pick<ReportOutcome, 'reason' | 'status' | 'replycode'>): boolean {
  if (o.reason === 'vacation' || o.reason === 'feedback' || o.reason === 'delivered') return false;
  return o.status.startsWith('5') || (!o.status && o.replycode.startsWith('5'));
}

/**
 * A success notice that proves delivery. "relayed" and "expanded" only say the next server took
 * the message on (one that does not report back): acceptance, like a smarthost's 250.
 */
export function provesDelivery(o: Pick<ReportOutcome, 'reason' | 'action'>): boolean {
  return o.reason === 'delivered' && o.action !== 'relayed' && o.action !== 'expanded';
}

/**
 * Folds a report that came back to the return path into the recipient's record. Unverified
 * reports (no trustworthy tie to a message we sent) change nothing: a forged bounce cannot flag
 * or clear an address. Auto-replies are noted but never count as failures.
 */
export function applyReport(prev: RecipientRecord | undefined, o: ReportOutcome, at: number): { record: RecipientRecord | null; changes: ReportChange[] } {
  if (!o.verified || !o.rcpt) return { record: null, changes: [] };
  const r: RecipientRecord = { ...emptyRecipient(o.rcpt), ...prev };
  const changes: ReportChange[] = [];
  r.lastEventAt = at;
  if (o.queueId) r.lastQueueId = o.queueId;
  switch (o.reason) {
    case 'vacation':
      return { record: r, changes };
    case 'feedback':
      if (!r.suppressed) changes.push('suppress');
      r.suppressed = true;
      r.suppressedAt = at;
      r.suppressedReason = `spam complaint${o.feedbacktype ? ` (${o.feedbacktype})` : ''}`;
      r.reason = 'feedback';
      r.category = 'Spam';
      return { record: r, changes };
    case 'delivered':
      if (!provesDelivery(o)) return { record: r, changes };
      r.lastStatus = 'delivered';
      r.deliveredCount++;
      r.consecutiveFailures = 0;
      r.reason = null;
      r.category = null;
      if (dropFlag(r, 'success-dsn', at)) changes.push('clear');
      return { record: r, changes };
    default: {
      const permanent = isBounceReport(o);
      r.consecutiveFailures++;
      r.reason = o.reason;
      r.category = o.category;
      r.lastResponse = o.diagnostic || r.lastResponse;
      if (permanent) {
        r.failedCount++;
        r.lastStatus = 'bounced';
        // The message a smarthost accepted bounced after all: the flag keeps standing.
        if (r.awaiting && r.awaiting.queueId === o.queueId) r.awaiting = null;
      }
      if (o.hard && permanent && raiseFlag(r, at)) changes.push('flag');
      return { record: r, changes };
    }
  }
}

/** Lifts a suppression (operator action). */
export function unsuppress(prev: RecipientRecord, at: number): { record: RecipientRecord; changed: boolean } {
  if (!prev.suppressed) return { record: prev, changed: false };
  return { record: { ...prev, suppressed: false, suppressedAt: null, suppressedReason: null, lastEventAt: at }, changed: true };
}

/** Puts an address on the suppression list by hand. */
export function suppress(prev: RecipientRecord | undefined, email: string, reason: string, at: number): { record: RecipientRecord; changed: boolean } {
  const r = { ...emptyRecipient(email), ...prev };
  if (r.suppressed) return { record: r, changed: false };
  return { record: { ...r, suppressed: true, suppressedAt: at, suppressedReason: reason, lastEventAt: at }, changed: true };
}
