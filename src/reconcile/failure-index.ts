// The failures worth reconciling, indexed up front so each log record costs a few Map lookups.
// One entry per (message, recipient) whose recorded outcome is a final failure, for recipients
// whose last outcome is a failure or who are flagged. Three relations tie log records to entries,
// each with the recipient: the Message-ID, Rebound's queue id, the upstream's queue id ("queued as X").
import type { Store } from '../store/index.js';
import type { MessageRecord, RecipientRecord, RecipientStatus } from '../types.js';
import { addressKey, sameAddress } from '../util/address-key.js';

export type FailedStatus = 'bounced' | 'expired';

export interface FailureEntry {
  queueId: string;
  messageId: string | null;
  /** The recipient as Rebound recorded it. */
  rcpt: string;
  status: FailedStatus;
  /** When the failed attempt finished. */
  failedAt: number;
  /** The upstream host that answered the failure. */
  mx: string | null;
  response: string | null;
  /** Set once a log record was tied to this entry in this run. */
  matched: boolean;
  /** 'confirmed' when a log (this run or an earlier one) agreed with the failure; 'mismatch' once contradicted. */
  verdict: 'confirmed' | 'mismatch' | null;
}

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

/** Queue ids the upstream named when it accepted the message: Postfix "queued as X", Exim "id=X". */
export function upstreamQueueIds(response: string | null): string[] {
  if (!response) return [];
  const out: string[] = [];
  const re = /\bqueued as ([0-9A-Za-z]{5,20})\b|\b[Ii][Dd]=([0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4})\b/g;
  for (let m = re.exec(response); m; m = re.exec(response)) out.push((m[1] ?? m[2])!);
  return out;
}

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
  private readonly indexedMessages = new Set<string>();
  private readonly candidates = new Map<string, boolean>();

  constructor(private readonly store: Store) {}

  /** Indexes every stored message (one pass over the store). */
  static build(store: Store): FailureIndex {
    const index = new FailureIndex(store);
    for (const m of store.listMessages()) index.addMessage(m);
    return index;
  }

  get size(): number {
    return this.entries.length;
  }

  /** Adds a message's failed recipients; adding the same message again is a no-op. */
  addMessage(m: MessageRecord): void {
    if (this.indexedMessages.has(m.queueId)) return;
    let upstream: string[] | undefined;
    for (const r of m.rcpts) {
      if (!FAILED.has(r.status) || !this.isCandidate(r.rcpt)) continue;
      this.indexedMessages.add(m.queueId);
      const entry: FailureEntry = {
        queueId: m.queueId, messageId: m.messageId, rcpt: r.rcpt, status: r.status as FailedStatus, failedAt: r.updatedAt,
        mx: r.lastMx, response: r.lastResponse, matched: false, verdict: this.earlierVerdict(m.queueId, r.rcpt),
      };
      const at = this.entries.push(entry) - 1;
      if (m.messageId) add(this.byMessageId, m.messageId, at);
      add(this.byQueueId, m.queueId, at);
      // Recipients accepted in the same transaction carry the upstream's queue id for the message.
      upstream ??= [...new Set(m.rcpts.flatMap((x) => upstreamQueueIds(x.lastResponse)))];
      for (const id of upstream) add(this.byUpstreamId, id, at);
    }
  }

  /** The entry a log record speaks about, trying the strongest relation first. */
  find(rcpt: string, messageId: string | undefined, reboundQueueId: string | undefined, upstreamQueueId: string | undefined): FailureEntry | undefined {
    if (messageId !== undefined) {
      const e = this.pick(this.byMessageId.get(messageId), rcpt);
      if (e) return e;
    }
    if (reboundQueueId !== undefined) {
      const e = this.pick(this.byQueueId.get(reboundQueueId), rcpt);
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

  private pick(at: number | number[] | undefined, rcpt: string): FailureEntry | undefined {
    if (at === undefined) return undefined;
    if (typeof at === 'number') {
      const e = this.entries[at]!;
      return sameAddress(e.rcpt, rcpt) ? e : undefined;
    }
    for (const i of at) if (sameAddress(this.entries[i]!.rcpt, rcpt)) return this.entries[i];
    return undefined;
  }

  /** Drops a cached candidate verdict after the recipient's record changed. */
  forgetRecipient(rcpt: string): void {
    this.candidates.delete(addressKey(rcpt));
  }

  private isCandidate(rcpt: string): boolean {
    const key = addressKey(rcpt);
    let c = this.candidates.get(key);
    if (c === undefined) this.candidates.set(key, (c = isCandidate(this.store.getRecipient(rcpt))));
    return c;
  }

  /** What an earlier reconciliation already said about this message and recipient (keeps reruns idempotent). */
  private earlierVerdict(queueId: string, rcpt: string): FailureEntry['verdict'] {
    let verdict: FailureEntry['verdict'] = null;
    for (const e of this.store.eventsForRecipient(rcpt)) {
      if (e.type === 'reconcile' && e.queueId === queueId) verdict = e.verdict === 'mismatch' ? 'mismatch' : (verdict ?? 'confirmed');
    }
    return verdict;
  }
}
