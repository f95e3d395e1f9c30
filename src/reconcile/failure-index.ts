// The failures worth reconciling, indexed up front so each log record costs a few Map lookups.
// One entry per (message, recipient) whose recorded outcome is a final failure, for recipients
// whose last outcome is a failure or who are flagged. Keys tie log records to entries:
//   Message-ID + rcpt, Rebound queue id + rcpt, upstream queue id ("queued as X") + rcpt.
import type { Store } from '../store/index.js';
import type { MessageRecord, RecipientRecord, RecipientStatus } from '../types.js';

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

/** Key prefixes keep the three id spaces apart; \0 cannot occur in ids or addresses. */
const BY_MESSAGE_ID = 'm\0';
const BY_QUEUE_ID = 'q\0';
const BY_UPSTREAM_ID = 'u\0';
/** An upstream queue id seen for two different entries with the same recipient is not trusted. */
const AMBIGUOUS = -1;

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
  private readonly keys = new Map<string, number>();
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
      const rcpt = r.rcpt.toLowerCase();
      if (m.messageId) this.keys.set(BY_MESSAGE_ID + m.messageId + '\0' + rcpt, at);
      this.keys.set(BY_QUEUE_ID + m.queueId + '\0' + rcpt, at);
      // Recipients accepted in the same transaction carry the upstream's queue id for the message.
      upstream ??= [...new Set(m.rcpts.flatMap((x) => upstreamQueueIds(x.lastResponse)))];
      for (const id of upstream) {
        const key = BY_UPSTREAM_ID + id + '\0' + rcpt;
        this.keys.set(key, this.keys.has(key) ? AMBIGUOUS : at);
      }
    }
  }

  /** The entry a log record speaks about, trying the strongest relation first. */
  find(rcptLower: string, messageId: string | undefined, reboundQueueId: string | undefined, upstreamQueueId: string | undefined): FailureEntry | undefined {
    let at: number | undefined;
    if (messageId !== undefined) at = this.keys.get(BY_MESSAGE_ID + messageId + '\0' + rcptLower);
    if (at === undefined && reboundQueueId !== undefined) at = this.keys.get(BY_QUEUE_ID + reboundQueueId + '\0' + rcptLower);
    if (at === undefined && upstreamQueueId !== undefined) at = this.keys.get(BY_UPSTREAM_ID + upstreamQueueId + '\0' + rcptLower);
    return at === undefined || at === AMBIGUOUS ? undefined : this.entries[at];
  }

  /** Drops a cached candidate verdict after the recipient's record changed. */
  forgetRecipient(rcpt: string): void {
    this.candidates.delete(rcpt);
  }

  private isCandidate(rcpt: string): boolean {
    let c = this.candidates.get(rcpt);
    if (c === undefined) this.candidates.set(rcpt, (c = isCandidate(this.store.getRecipient(rcpt))));
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
