// The matcher: ties delivery-log evidence to failures Rebound recorded and turns each tie into
// a verdict. A delivery logged after our failure is a server response mismatch (the upstream
// said "failed" but the mail went through): the recipient is marked delivered, its flag cleared,
// and the mismatch counted against the upstream host. A logged failure confirms ours.
import { randomUUID } from 'node:crypto';
import type { Store } from '../store/index.js';
import type { LogEvidenceRef, RecipientEvent } from '../types.js';
import type { Clock } from '../util/clock.js';
import { applyReconcile } from '../recipients/reduce.js';
import { FailureIndex, type FailureEntry } from './failure-index.js';
import type { LogEvidence } from './types.js';
import { sameAddress } from '../util/address-key.js';

export type Verdict = 'mismatch' | 'confirmed';

export interface ReconcileMatch {
  verdict: Verdict;
  queueId: string;
  messageId: string | null;
  rcpt: string;
  /** The host that answered the failure we recorded. */
  upstreamHost: string | null;
  /** What that host answered. */
  failedResponse: string | null;
  failedAt: number;
  evidence: LogEvidenceRef;
  /** Whether the recipient's invalid flag was cleared by this match. */
  flagCleared: boolean;
}

export interface MatcherOptions {
  /** Compute verdicts without writing anything to the store. */
  dryRun?: boolean;
  /** Tolerated clock difference between the log's host and ours (a delivery may look slightly "before" our failure). Default 5 min. */
  skewMs?: number;
  /**
   * Look messages up in the store when the index has no entry (for the live follower, whose
   * index was built before the newest failures were recorded).
   */
  live?: boolean;
  clock?: Clock;
  /** Called for each verdict that changed something (or would have, in a dry run). */
  onMatch?: (m: ReconcileMatch) => void;
}

export interface MatchCounters {
  /** Log records that were tied to a recorded failure. */
  matched: number;
  /** Verdicts that changed the store (or would have, in a dry run). */
  changed: number;
  mismatches: number;
  confirmed: number;
  /** Deliveries logged before our failure (a different attempt, not a contradiction). */
  earlier: number;
  /** Records tied to a failure that already had this verdict. */
  repeated: number;
  /** Mismatches per upstream host. */
  byUpstream: Map<string, number>;
}

/** Longest evidence line kept with an event. */
const MAX_EVIDENCE_TEXT = 2_000;
const DEFAULT_SKEW_MS = 5 * 60_000;

export class Matcher {
  readonly counters: MatchCounters = { matched: 0, changed: 0, mismatches: 0, confirmed: 0, earlier: 0, repeated: 0, byUpstream: new Map() };
  private readonly dryRun: boolean;
  private readonly skewMs: number;
  private readonly clock: Clock;

  constructor(
    private readonly store: Store,
    private index: FailureIndex,
    private readonly opts: MatcherOptions = {},
  ) {
    this.dryRun = !!opts.dryRun;
    this.skewMs = opts.skewMs ?? DEFAULT_SKEW_MS;
    this.clock = opts.clock ?? { now: () => Date.now() };
  }

  get failures(): FailureIndex {
    return this.index;
  }

  /** Swaps in a freshly built index (the follower refreshes it now and then). */
  setIndex(index: FailureIndex): void {
    this.index = index;
  }

  /** Considers one log record; returns the verdict when it changed something. */
  consider(ev: LogEvidence): ReconcileMatch | undefined {
    const s = ev.status;
    if ((s !== 'sent' && s !== 'bounced' && s !== 'expired') || ev.rcpt === undefined) return undefined;
    const entry = this.entryFor(ev, ev.rcpt) ?? (ev.origRcpt !== undefined ? this.entryFor(ev, ev.origRcpt) : undefined);
    if (!entry) return undefined;
    this.counters.matched++;
    entry.matched = true;
    if (s === 'sent') {
      if (ev.time !== undefined && ev.time.getTime() < entry.failedAt - this.skewMs) {
        this.counters.earlier++;
        return undefined;
      }
      if (entry.verdict === 'mismatch') {
        this.counters.repeated++;
        return undefined;
      }
      return this.mismatch(entry, ev);
    }
    if (entry.verdict !== null) {
      this.counters.repeated++;
      return undefined;
    }
    return this.confirm(entry, ev);
  }

  private entryFor(ev: LogEvidence, rcpt: string): FailureEntry | undefined {
    const hit = this.index.find(rcpt, ev.messageId, ev.reboundQueueId, ev.queueId);
    if (hit || !this.opts.live) return hit;
    const m = (ev.reboundQueueId !== undefined ? this.store.getMessage(ev.reboundQueueId) : undefined)
      ?? (ev.messageId !== undefined ? this.store.findByMessageId(ev.messageId) : undefined);
    if (!m) return undefined;
    this.index.addMessage(m);
    return this.index.find(rcpt, ev.messageId, ev.reboundQueueId, ev.queueId);
  }

  private mismatch(entry: FailureEntry, ev: LogEvidence): ReconcileMatch {
    entry.verdict = 'mismatch';
    const c = this.counters;
    c.mismatches++;
    c.changed++;
    const host = entry.mx ?? '(unknown)';
    c.byUpstream.set(host, (c.byUpstream.get(host) ?? 0) + 1);
    const match = this.toMatch('mismatch', entry, ev);
    if (!this.dryRun) match.flagCleared = this.recordMismatch(entry, match);
    else match.flagCleared = this.wouldClearFlag(entry);
    this.opts.onMatch?.(match);
    return match;
  }

  private confirm(entry: FailureEntry, ev: LogEvidence): ReconcileMatch {
    entry.verdict = 'confirmed';
    this.counters.confirmed++;
    this.counters.changed++;
    const match = this.toMatch('confirmed', entry, ev);
    if (!this.dryRun) this.store.appendEvent(this.reconcileEvent(match));
    this.opts.onMatch?.(match);
    return match;
  }

  private toMatch(verdict: Verdict, entry: FailureEntry, ev: LogEvidence): ReconcileMatch {
    return {
      verdict, queueId: entry.queueId, messageId: entry.messageId, rcpt: entry.rcpt, upstreamHost: entry.mx,
      failedResponse: entry.response, failedAt: entry.failedAt, flagCleared: false,
      evidence: { file: ev.file, line: ev.line, text: ev.raw.length > MAX_EVIDENCE_TEXT ? ev.raw.slice(0, MAX_EVIDENCE_TEXT) : ev.raw, format: ev.format },
    };
  }

  private reconcileEvent(m: ReconcileMatch): RecipientEvent {
    return {
      type: 'reconcile', id: randomUUID(), time: this.clock.now(), queueId: m.queueId, messageId: m.messageId, rcpt: m.rcpt,
      verdict: m.verdict, upstreamHost: m.upstreamHost, evidence: m.evidence,
    };
  }

  /** Writes a mismatch: the event, the message's recipient status, the recipient record and its flag. */
  private recordMismatch(entry: FailureEntry, match: ReconcileMatch): boolean {
    const now = this.clock.now();
    this.store.appendEvent(this.reconcileEvent(match));
    const msg = this.store.getMessage(entry.queueId);
    const r = msg?.rcpts.find((x) => sameAddress(x.rcpt, entry.rcpt));
    if (msg && r && r.status === entry.status) {
      r.status = 'delivered';
      r.updatedAt = now;
      this.store.putMessage(msg);
    }
    const prev = this.store.getRecipient(entry.rcpt);
    const { record, change } = applyReconcile(prev, { rcpt: entry.rcpt, queueId: entry.queueId, at: now, flaggedBy: prev?.invalid ? this.flaggedBy(entry.rcpt) : null });
    this.store.putRecipient(record);
    this.index.forgetRecipient(entry.rcpt);
    if (change === 'clear') {
      this.store.appendEvent({ type: 'clear', id: randomUUID(), time: now, rcpt: entry.rcpt, reason: prev?.reason ?? null, queueId: entry.queueId, by: 'reconcile' });
      return true;
    }
    return false;
  }

  private wouldClearFlag(entry: FailureEntry): boolean {
    const prev = this.store.getRecipient(entry.rcpt);
    if (!prev?.invalid) return false;
    return applyReconcile(prev, { rcpt: entry.rcpt, queueId: entry.queueId, at: 0, flaggedBy: this.flaggedBy(entry.rcpt) }).change === 'clear';
  }

  /** The message whose failure set the recipient's current flag. */
  private flaggedBy(rcpt: string): string | null {
    const events = this.store.eventsForRecipient(rcpt);
    for (let i = events.length - 1; i >= 0; i--) {
      const e = events[i]!;
      if (e.type === 'flag') return e.queueId;
    }
    return null;
  }
}
