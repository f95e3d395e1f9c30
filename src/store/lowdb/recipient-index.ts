import type { RecipientRecord } from '../../types.js';
import { addressKey } from '../../util/address-key.js';
import type { Page, PageRequest, RecipientQuery } from '../types.js';
import { type CursorKey, decodeCursor, encodeCursor, pageLimit } from './cursor.js';
import { mergeRecipients } from './merge-recipients.js';
import { type PackedRecipient, carriesNoInformation, isWholeRecord, packRecipient, unpackRecipient } from './packed-recipient.js';
import { type Shard, shardOf } from './shards.js';

type Entry = [key: string, p: PackedRecipient];

/** Most recently active first (never active last), then by key: a total order, so cursors are exact. */
const newestActive = (a: Entry, b: Entry) => (b[1].t ?? -1) - (a[1].t ?? -1) || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** Whether an entry comes after the cursor in `newestActive` order. */
const afterCursor = (c: CursorKey) => (e: Entry) => {
  const t = e[1].t ?? -1;
  return t < c.t || (t === c.t && e[0] > c.k);
};

/** The `k` first items of `all` in `cmp` order without sorting all of them (one pass, a sorted buffer of 2k). */
function firstInOrder<T>(all: T[], k: number, cmp: (a: T, b: T) => number): T[] {
  if (k >= all.length / 8) return all.sort(cmp).slice(0, k);
  let top: T[] = [];
  /** The k-th item as of the last cut: an item not before it cannot be among the first k. */
  let cut: T | undefined;
  for (const x of all) {
    if (cut !== undefined && cmp(x, cut) >= 0) continue;
    top.push(x);
    if (top.length >= 2 * k) {
      top = top.sort(cmp).slice(0, k);
      cut = top[k - 1];
    }
  }
  return top.sort(cmp).slice(0, k);
}

/**
 * The recipient records, packed (packed-recipient.ts) in their shards and keyed by addressKey(),
 * with the keys of flagged and of suppressed records indexed: those lists stay cheap however many
 * clean records there are. A record is unpacked only when it leaves the store.
 */
export class RecipientIndex {
  private readonly flagged = new Set<string>();
  private readonly suppressed = new Set<string>();

  constructor(readonly shards: Shard<PackedRecipient>[]) {}

  isFlagged(key: string): boolean {
    return this.flagged.has(key);
  }

  getPacked(key: string): PackedRecipient | undefined {
    return shardOf(this.shards, key).db.data.items[key];
  }

  get(key: string): RecipientRecord | undefined {
    const p = this.getPacked(key);
    return p && unpackRecipient(key, p);
  }

  /** Stores the record under `key`; returns it packed (for the journal line). */
  put(key: string, r: RecipientRecord): PackedRecipient {
    const sh = shardOf(this.shards, key);
    const p = packRecipient(key, r);
    sh.db.data.items[key] = p;
    sh.dirty = true;
    this.index(key, p);
    return p;
  }

  private index(key: string, p: PackedRecipient): void {
    if (p.i === 1) this.flagged.add(key);
    else this.flagged.delete(key);
    if (p.sp === 1) this.suppressed.add(key);
    else this.suppressed.delete(key);
  }

  /**
   * Stores written before addresses were normalised keep records under the address as submitted:
   * move each under its key, merging spellings of the same address. Stores written before records
   * were packed hold whole records: pack them (written out by the next snapshot). Indexes flagged
   * and suppressed records in the same pass (one pass over a million keys is a few hundred ms).
   * True when a record moved to another key.
   */
  rekey(): boolean {
    let moved = false;
    for (const sh of this.shards) {
      const items = sh.db.data.items as Record<string, PackedRecipient | RecipientRecord>;
      for (const k of Object.keys(items)) {
        const v = items[k]!;
        const key = addressKey(k);
        const whole = isWholeRecord(v);
        if (key === k && !whole) {
          this.index(key, v);
          continue;
        }
        const record = whole ? v : unpackRecipient(k, v);
        sh.dirty = true;
        if (key === k) {
          this.index(key, (items[k] = packRecipient(key, record)));
          continue;
        }
        delete items[k];
        const target = shardOf(this.shards, key);
        const there = target.db.data.items[key] as PackedRecipient | RecipientRecord | undefined;
        const prev = there === undefined ? undefined : isWholeRecord(there) ? there : unpackRecipient(key, there);
        this.index(key, (target.db.data.items[key] = packRecipient(key, mergeRecipients(prev, record))));
        target.dirty = true;
        moved = true;
      }
    }
    return moved;
  }

  /** The entries matching `q` (from the flagged or suppressed index when the query allows). */
  private matching(q: RecipientQuery, also?: (e: Entry) => boolean): Entry[] {
    const prefix = q.prefix ? addressKey(q.prefix) : null;
    const keep = (key: string, p: PackedRecipient) =>
      (q.invalid === undefined || (p.i === 1) === q.invalid) && (q.suppressed === undefined || (p.sp === 1) === q.suppressed) &&
      (!q.category || p.cg === q.category) && (prefix === null || key.startsWith(prefix));
    const found: Entry[] = [];
    const indexed = q.invalid === true ? this.flagged : q.suppressed === true ? this.suppressed : null;
    if (indexed) {
      for (const key of indexed) {
        const p = this.getPacked(key);
        if (p && keep(key, p) && (!also || also([key, p]))) found.push([key, p]);
      }
      return found;
    }
    for (const sh of this.shards) {
      const items = sh.db.data.items;
      for (const key in items) {
        const p = items[key]!;
        if (keep(key, p) && (!also || also([key, p]))) found.push([key, p]);
      }
    }
    return found;
  }

  page(q: RecipientQuery, req: PageRequest): Page<RecipientRecord> {
    const limit = pageLimit(req.limit);
    const after = decodeCursor(req.cursor);
    const found = this.matching(q, after ? afterCursor(after) : undefined);
    const first = firstInOrder(found, limit + 1, newestActive);
    const more = first.length > limit;
    if (more) first.length = limit;
    const last = first[first.length - 1];
    const page: Page<RecipientRecord> = {
      items: first.map(([key, p]) => unpackRecipient(key, p)),
      next: more && last ? encodeCursor({ t: last[1].t ?? -1, k: last[0] }) : null,
    };
    if (req.withTotal) page.total = after ? this.count(q) : found.length;
    return page;
  }

  count(q: RecipientQuery): number {
    if (q.prefix === undefined && q.category === undefined) {
      if (q.invalid === true && q.suppressed === undefined) return this.flagged.size;
      if (q.suppressed === true && q.invalid === undefined) return this.suppressed.size;
    }
    return this.matching(q).length;
  }

  /**
   * Deletes the records that carry no information past `cutoff`, one shard per event-loop turn (a
   * million records do not hold the loop); within a shard the test and the delete are one
   * synchronous step, so no update lands between them. `gone` hears each deleted key.
   */
  async prune(cutoff: number, gone: (key: string) => void): Promise<void> {
    for (const sh of this.shards) {
      await new Promise((r) => setImmediate(r));
      const items = sh.db.data.items;
      for (const key in items) {
        if (!carriesNoInformation(items[key]!, cutoff)) continue;
        delete items[key];
        sh.dirty = true;
        gone(key);
      }
    }
  }
}
