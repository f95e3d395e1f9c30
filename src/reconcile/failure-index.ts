// The failures worth reconciling, indexed up front so each log record costs a few Map lookups.
// One entry per (message, recipient) whose recorded outcome is a final failure, for recipients
// whose last outcome is a failure or who are flagged. Three relations tie log records to entries,
// each with the recipient: the Message-ID, Rebound's queue id, the upstream's queue id ("queued as X").
import type { Store } from '../store/index.js';
import type { MessageRecord, RecipientRecord, RecipientStatus } from '../types.js';
import { addressKey, sameAddress } from '../util/address-key.js';
import { nextHopIds } from './parse/smtp-reply.js';
import type { LogEvidence } from './types.js';

export type FailedStatus = 'bounced' | 'expired';

/** How an earlier or current confirmation was reached (a bounce a hop decided outranks a claim about the next hop). */
export type Basis = 'final' | 'relayed' | 'own-log';

export interface FailureEntry {
  /** Position in FailureIndex.entries. */
  at: number;
  queueId: string;
  messageId: string | null;
  /** The recipient as Rebound recorded it. */
  rcpt: string;
  /** 'delivered' for an awaited copy. */
  status: FailedStatus | 'delivered';
  /**
   * Not a failure: a copy a smarthost accepted for a flagged address (its record's `awaiting`).
   * A final delivery found for it is the evidence that clears the flag.
   */
  awaited: boolean;
  /** When the failure was recorded (the attempt's reply, or the DSN's arrival). */
  failedAt: number;
  /** When Rebound accepted this copy: log records older than that (less the skew allowance) are about another copy. */
  sentAt: number;
  /** The upstream host that answered the failure. */
  mx: string | null;
  response: string | null;
  /** Set once a log record was tied to this entry in this run. */
  matched: boolean;
  /** 'confirmed' when a log (this run or an earlier one) agreed with the failure; 'mismatch' once contradicted. */
  verdict: 'confirmed' | 'mismatch' | null;
  /** How the confirmation was reached (null when none, or for verdicts recorded before bases existed: treated as final). */
  basis: Basis | null;
  /** Log records about this copy, in the order read (bounded); judged once every log was read. */
  outcomes: LogEvidence[];
  /** Outcomes arrived since the last judgement. */
  dirty: boolean;
}

/** Outcome records kept per copy; a copy rarely has more than one per hop. */
const MAX_OUTCOMES = 16;

/** Keeps a record with its copy, once (a second pass over a log sees the same lines again). */
export function addOutcome(e: FailureEntry, ev: LogEvidence): boolean {
  for (const o of e.outcomes) if (o.line === ev.line && o.file === ev.file && o.rcpt === ev.rcpt) return false;
  if (e.outcomes.length >= MAX_OUTCOMES) e.outcomes.shift();
  // A line is a slice of the chunk it was read in: a copy keeps the chunk from being held with it.
  e.outcomes.push({ ...ev, raw: Buffer.from(ev.raw, 'utf8').toString('utf8') });
  e.dirty = true;
  return true;
}

/** Strength of a confirmation: a later, stronger one may replace a weaker one. */
export const RANK: Record<Basis, number> = { 'own-log': 0, relayed: 1, final: 2 };

const FAILED = new Set<RecipientStatus>(['bounced', 'expired']);
const FAILING_LAST = new Set<RecipientStatus>(['bounced', 'expired', 'deferred']);

/** Entry positions per id; most ids have one entry, so a bare number saves an array per key. */
type Positions = Map<string, number | number[]>;

function add(map: Positions, id: string, at: number): void {
  const had = map.get(id);
  if (had === undefined) map.set(id, at);
  else if (typeof had === 'number') map.set(id, [had, at]);
  else had.push(at);
}

/** Queue ids the upstream named when it accepted the message (the same reading as a log's hand-off reply). */
export const upstreamQueueIds = nextHopIds;

/** A recipient worth reconciling: flagged, or its last outcome was a failure (or nothing is known). */
export function isCandidate(rec: RecipientRecord | undefined): boolean {
  return !rec || rec.invalid || (rec.lastStatus !== null && FAILING_LAST.has(rec.lastStatus));
}


export class FailureIndex {
  readonly entries: FailureEntry[] = [];
  // Keyed by the id alone (no concatenated keys to build and hash per log record); the recipient
  // is compared on the few entries an id has.
  private readonly byMessageId: Positions = new Map();
  private readonly byQueueId: Positions = new Map();
  private readonly byUpstreamId: Positions = new Map();
  private readonly byRcpt: Positions = new Map();
  private readonly indexedMessages = new Set<string>();
  private readonly candidates = new Map<string, boolean>();
  /** Messages a smarthost accepted for flagged addresses: queue id -> address key. */
  private readonly awaitedCopies = new Map<string, string>();
  private failureCount = 0;

  constructor(private readonly store: Store) {}

  /** Indexes every stored message (one pass over the store, newest first). */
  static async build(store: Store): Promise<FailureIndex> {
    const index = new FailureIndex(store);
    for await (const r of store.scanRecipients({ invalid: true })) if (r.awaiting) index.awaitedCopies.set(r.awaiting.queueId, addressKey(r.email));
    for await (const m of store.scanMessages({})) await index.addMessage(m);
    return index;
  }

  /** Failures being reconciled (awaited copies not counted). */
  get size(): number {
    return this.failureCount;
  }

  /** Adds a message's failed recipients; adding the same message again is a no-op (calls one at a time). */
  async addMessage(m: MessageRecord): Promise<void> {
    if (this.indexedMessages.has(m.queueId)) return;
    let upstream: string[] | undefined;
    const awaitedRcpt = this.awaitedCopies.get(m.queueId);
    for (const r of m.rcpts) {
      const awaited = r.status === 'delivered' && awaitedRcpt !== undefined && awaitedRcpt === addressKey(r.rcpt);
      if (!awaited && (!FAILED.has(r.status) || !(await this.isCandidate(r.rcpt)))) continue;
      this.indexedMessages.add(m.queueId);
      if (!awaited) this.failureCount++;
      const earlier = awaited ? { verdict: null, basis: null } : await this.earlierVerdict(m.queueId, r.rcpt);
      const entry: FailureEntry = {
        at: this.entries.length, queueId: m.queueId, messageId: m.messageId, rcpt: r.rcpt, status: r.status as FailedStatus | 'delivered', awaited, failedAt: r.updatedAt,
        sentAt: m.receivedAt, mx: r.lastMx, response: r.lastResponse, matched: false, verdict: earlier.verdict, basis: earlier.basis,
        outcomes: [], dirty: false,
      };
      const at = entry.at;
      this.entries.push(entry);
      if (m.messageId) add(this.byMessageId, m.messageId, at);
      add(this.byQueueId, m.queueId, at);
      add(this.byRcpt, addressKey(r.rcpt), at);
      // Recipients accepted in the same transaction carry the upstream's queue id for the message.
      upstream ??= [...new Set(m.rcpts.flatMap((x) => upstreamQueueIds(x.lastResponse)))];
      for (const id of upstream) add(this.byUpstreamId, id, at);
    }
  }

  /**
   * Ties a next hop's id to a copy: its records in that hop's log (queue id X) are about the same
   * copy. True when the id was new for this entry.
   */
  linkNextHop(id: string, entry: FailureEntry): boolean {
    const at = entry.at;
    const had = this.byUpstreamId.get(id);
    if (this.entries[at] !== entry || had === at || (Array.isArray(had) && had.includes(at))) return false;
    add(this.byUpstreamId, id, at);
    return true;
  }

  /**
   * The entry a log record speaks about, trying the strongest relation first. `timeMs` tells
   * apart copies of a resent message: the latest copy sent before the record (within `skewMs`).
   */
  find(
    rcpt: string, messageId: string | undefined, reboundQueueId: string | undefined, upstreamQueueId: string | undefined,
    timeMs?: number, skewMs = 0,
  ): FailureEntry | undefined {
    if (messageId !== undefined) {
      const e = this.pick(this.byMessageId.get(messageId), rcpt, timeMs, skewMs);
      if (e) return e;
    }
    if (reboundQueueId !== undefined) {
      const e = this.pick(this.byQueueId.get(reboundQueueId), rcpt, timeMs, skewMs);
      if (e) return e;
    }
    if (upstreamQueueId === undefined) return undefined;
    const at = this.byUpstreamId.get(upstreamQueueId);
    if (at === undefined) return undefined;
    // Upstream queue ids are reused: one naming two of our failures for this recipient is not trusted,
    // and a record naming another message is another life of the id.
    const hits = typeof at === 'number' ? [at] : at.filter((i) => sameAddress(this.entries[i]!.rcpt, rcpt));
    const e = hits.length === 1 ? this.pick(hits[0], rcpt) : undefined;
    if (!e) return undefined;
    if (messageId !== undefined && e.messageId !== null && messageId !== e.messageId) return undefined;
    if (reboundQueueId !== undefined && reboundQueueId !== e.queueId) return undefined;
    return e;
  }

  private pick(at: number | number[] | undefined, rcpt: string, timeMs?: number, skewMs = 0): FailureEntry | undefined {
    if (at === undefined) return undefined;
    if (typeof at === 'number') {
      const e = this.entries[at]!;
      return sameAddress(e.rcpt, rcpt) ? e : undefined;
    }
    let best: FailureEntry | undefined;
    for (const i of at) {
      const e = this.entries[i]!;
      if (!sameAddress(e.rcpt, rcpt)) continue;
      if (!best) best = e;
      else if (timeMs !== undefined && e.sentAt - skewMs <= timeMs && (best.sentAt - skewMs > timeMs || e.sentAt > best.sentAt)) best = e;
    }
    return best;
  }

  /** Whether a later copy to the same recipient failed too and stands (not contradicted): then its flag is its own. */
  laterFailureStands(entry: FailureEntry): boolean {
    const at = this.byRcpt.get(addressKey(entry.rcpt));
    if (at === undefined || typeof at === 'number') return false;
    return at.some((i) => {
      const e = this.entries[i]!;
      return e !== entry && !e.awaited && e.sentAt > entry.sentAt && e.verdict !== 'mismatch';
    });
  }

  /** Drops a cached candidate verdict after the recipient's record changed. */
  forgetRecipient(rcpt: string): void {
    this.candidates.delete(addressKey(rcpt));
  }

  private async isCandidate(rcpt: string): Promise<boolean> {
    const key = addressKey(rcpt);
    let c = this.candidates.get(key);
    if (c === undefined) this.candidates.set(key, (c = isCandidate(await this.store.getRecipient(rcpt))));
    return c;
  }

  /** What an earlier reconciliation already said about this message and recipient (keeps reruns idempotent). */
  private async earlierVerdict(queueId: string, rcpt: string): Promise<{ verdict: FailureEntry['verdict']; basis: Basis | null }> {
    let verdict: FailureEntry['verdict'] = null;
    let basis: Basis | null = null;
    for (const e of await this.store.eventsForRecipient(rcpt)) {
      if (e.type !== 'reconcile' || e.queueId !== queueId) continue;
      if (e.verdict === 'mismatch') verdict = 'mismatch';
      else if (verdict !== 'mismatch') {
        verdict = 'confirmed';
        // Confirmations written before bases existed came from a logged bounce: kept as final.
        const b = e.basis ?? 'final';
        if (basis === null || RANK[b] > RANK[basis]) basis = b;
      }
    }
    return { verdict, basis };
  }
}
