import type { MessageRecord } from '../../types.js';
import type { Page, PageRequest } from '../types.js';
import { decodeCursor, encodeCursor, pageLimit } from './cursor.js';
import { type Shard, shardOf } from './shards.js';

const byKey = (at: number, aq: string, bt: number, bq: string) => at - bt || (aq < bq ? -1 : aq > bq ? 1 : 0);

/**
 * The message records (in their shards, for snapshots) and the indexes lists are read through:
 * by queue id, by Message-ID, and every queue id in (receivedAt, queueId) order, so a list is
 * newest first without sorting, its time bounds and cursor are found by bisection, and a page
 * of a plain list costs its own length.
 */
export class MessageIndex {
  private readonly byId = new Map<string, MessageRecord>();
  private readonly byMessageId = new Map<string, string>();
  private order: string[] = [];

  constructor(readonly shards: Shard<MessageRecord>[]) {}

  /** Builds the indexes from the shards as loaded and replayed. */
  build(): void {
    const all: MessageRecord[] = [];
    for (const sh of this.shards) for (const m of Object.values(sh.db.data.items)) {
      all.push(m);
      this.byId.set(m.queueId, m);
      this.noteMessageId(m);
    }
    this.order = all.sort((a, b) => byKey(a.receivedAt, a.queueId, b.receivedAt, b.queueId)).map((m) => m.queueId);
  }

  get size(): number {
    return this.order.length;
  }

  /** The stored object itself: callers copy it before it leaves the store. */
  get(queueId: string): MessageRecord | undefined {
    return this.byId.get(queueId);
  }

  byMessageIdHeader(messageId: string): MessageRecord | undefined {
    const q = this.byMessageId.get(messageId);
    return q === undefined ? undefined : this.byId.get(q);
  }

  /** Takes `m` as it is (the caller made it a copy of what it was given). */
  put(m: MessageRecord): void {
    const sh = shardOf(this.shards, m.queueId);
    const prev = this.byId.get(m.queueId);
    if (prev && prev.receivedAt !== m.receivedAt) this.order.splice(this.lowerBound(prev.receivedAt, prev.queueId), 1);
    sh.db.data.items[m.queueId] = m;
    sh.dirty = true;
    this.byId.set(m.queueId, m);
    if (!prev || prev.receivedAt !== m.receivedAt) this.insertOrdered(m);
    this.noteMessageId(m);
  }

  /** The newest message with a Message-ID answers for it, whatever was written last. */
  private noteMessageId(m: MessageRecord): void {
    if (!m.messageId) return;
    const there = this.byMessageId.get(m.messageId);
    const other = there === undefined || there === m.queueId ? undefined : this.byId.get(there);
    if (!other || byKey(other.receivedAt, other.queueId, m.receivedAt, m.queueId) < 0) this.byMessageId.set(m.messageId, m.queueId);
  }

  private insertOrdered(m: MessageRecord): void {
    const o = this.order;
    const last = o.length ? this.byId.get(o[o.length - 1]!)! : undefined;
    if (!last || byKey(last.receivedAt, last.queueId, m.receivedAt, m.queueId) < 0) o.push(m.queueId);
    else o.splice(this.lowerBound(m.receivedAt, m.queueId), 0, m.queueId);
  }

  /** First position in `order` whose key is not before (t, q). */
  private lowerBound(t: number, q: string): number {
    let lo = 0;
    let hi = this.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const m = this.byId.get(this.order[mid]!)!;
      if (byKey(m.receivedAt, m.queueId, t, q) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Positions [lo, hi) of the messages received in [since, until). */
  private range(since?: number, until?: number): [number, number] {
    return [since === undefined ? 0 : this.lowerBound(since, ''), until === undefined ? this.order.length : this.lowerBound(until, '')];
  }

  page(bounds: { since?: number; until?: number }, test: ((m: MessageRecord) => boolean) | null, req: PageRequest): Page<MessageRecord> {
    const limit = pageLimit(req.limit);
    const [lo, end] = this.range(bounds.since, bounds.until);
    const after = decodeCursor(req.cursor);
    const hi = after ? Math.min(end, this.lowerBound(after.t, after.k)) : end;
    const items: MessageRecord[] = [];
    // One more than asked: whether a next page exists.
    for (let i = hi - 1; i >= lo && items.length <= limit; i--) {
      const m = this.byId.get(this.order[i]!)!;
      if (!test || test(m)) items.push(m);
    }
    const more = items.length > limit;
    if (more) items.length = limit;
    const last = items[items.length - 1];
    const page: Page<MessageRecord> = { items, next: more && last ? encodeCursor({ t: last.receivedAt, k: last.queueId }) : null };
    if (req.withTotal) page.total = this.count(bounds, test);
    return page;
  }

  count(bounds: { since?: number; until?: number }, test: ((m: MessageRecord) => boolean) | null): number {
    const [lo, hi] = this.range(bounds.since, bounds.until);
    if (!test) return Math.max(0, hi - lo);
    let n = 0;
    for (let i = lo; i < hi; i++) if (test(this.byId.get(this.order[i]!)!)) n++;
    return n;
  }

  countByBucket(q: { since: number; until: number; origin: number; bucketMs: number }): Map<number, number> {
    const [lo, hi] = this.range(q.since, q.until);
    const counts = new Map<number, number>();
    for (let i = lo; i < hi; i++) {
      const k = Math.floor((this.byId.get(this.order[i]!)!.receivedAt - q.origin) / q.bucketMs);
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    return counts;
  }

  /** Deletes the finished messages received before `cutoff`; returns their queue ids. */
  pruneFinished(cutoff: number): string[] {
    const gone: string[] = [];
    for (const sh of this.shards) {
      for (const [id, m] of Object.entries(sh.db.data.items)) {
        if (m.status !== 'done' || m.receivedAt >= cutoff) continue;
        delete sh.db.data.items[id];
        sh.dirty = true;
        this.byId.delete(id);
        if (m.messageId && this.byMessageId.get(m.messageId) === id) this.byMessageId.delete(m.messageId);
        gone.push(id);
      }
    }
    if (gone.length) this.order = this.order.filter((q) => this.byId.has(q));
    return gone;
  }
}
