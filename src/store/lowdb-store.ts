import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { Low } from 'lowdb';
import { DIR_MODE, FILE_MODE, ensurePrivateDir } from '../durable/private-files.js';
import { addressKey } from '../util/address-key.js';
import type { Logger } from '../util/logger.js';
import type { Clock } from '../util/clock.js';
import type { MessageRecord, RecipientEvent, RecipientRecord } from '../types.js';
import { DurableJSONFile, StoreCorruptError } from './lowdb/durable-json-file.js';
import { EventLog, dayOf } from './lowdb/event-log.js';
import { type SkimmedEvent, skimEvent } from './lowdb/event-skim.js';
import { Journal } from './lowdb/journal.js';
import { JournalFiles } from './lowdb/journal-files.js';
import { mergeRecipients } from './lowdb/merge-recipients.js';
import { type PackedRecipient, carriesNoInformation, isWholeRecord, packRecipient, unpackRecipient } from './lowdb/packed-recipient.js';
import type { MessageFilter, Store, WriteHealth } from './types.js';

interface Shard<T> {
  db: Low<{ items: Record<string, T> }>;
  dirty: boolean;
}

export interface LowdbStoreOptions {
  dir: string;
  shards: number;
  flushIntervalMs: number;
  /** How often changed shards are written as a new snapshot (and the journal restarted). */
  compactIntervalMs?: number;
  eventRetentionDays: number;
  /** Events the per-recipient and per-message lists hold in all (default INDEXED_EVENTS). */
  indexedEvents?: number;
  logger: Logger;
  clock: Clock;
}

const PER_RECIPIENT_EVENTS = 100;
const RECENT_EVENTS = 50_000;
/**
 * The working set of the per-recipient and per-message event lists: the newest this many events
 * (about 0.8 KB each as parsed back from a day file), whatever the retention holds; older ones
 * stay in the day files. A flagged recipient's list and a queued message's list keep theirs
 * (reconcile and the retry view need them; each list is capped on its own).
 */
const INDEXED_EVENTS = 100_000;
const DAY_MS = 86_400_000;
/** After a failed snapshot, how soon a working write triggers the next try. */
const SNAPSHOT_RETRY_MS = 5_000;

/** The recipients (addressKey) an event is about. */
function rcptKeys(e: RecipientEvent): string[] {
  if (e.type === 'integration') return [...new Set(e.rcpts.map(addressKey))];
  return 'rcpt' in e && e.rcpt ? [addressKey(e.rcpt)] : [];
}

/** The `k` first items of `all` in `cmp` order without sorting all of them (one pass, a sorted buffer of 2k). */
function newestFirst<T>(all: T[], k: number, cmp: (a: T, b: T) => number): T[] {
  let top: T[] = [];
  /** The k-th item as of the last cut: an item not before it cannot be among the first k (ties keep their order). */
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

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * lowdb as the embedded store, used like a database would use its files. The records live in
 * memory in many small lowdb documents (shards). Every change is appended to a journal with group
 * commit, so making changes durable costs one write and one sync, not a rewrite of lowdb files
 * (lowdb stringifies a whole document per write). From time to time the changed shards are written
 * out through lowdb as a snapshot and older journals are deleted. On open: snapshot, then the
 * journals in order. Events are append-only, one JSON-lines file per day (retention deletes days).
 * Recipients are keyed by addressKey() (the one address normalisation); the record keeps the
 * address as first written. Recipient records are kept packed, and those that carry no information
 * past the retention (no flag, no suppression, no activity) are pruned.
 */
export class LowdbStore implements Store {
  private messages: Shard<MessageRecord>[] = [];
  /** Packed (see packed-recipient.ts): a record is unpacked only when asked for. */
  private recipients: Shard<PackedRecipient>[] = [];
  private readonly byRcpt = new Map<string, RecipientEvent[]>();
  private readonly byQueue = new Map<string, RecipientEvent[]>();
  private readonly byMessageId = new Map<string, string>();
  /** Queue ids in receivedAt order, so lists are newest-first without sorting every time. */
  private order: string[] = [];
  /** Direct lookup (the shards are for writing); kept in step with them. */
  private readonly messageById = new Map<string, MessageRecord>();
  /** Keys (addressKey) of flagged and of suppressed recipients. */
  private readonly flagged = new Set<string>();
  private readonly suppressedSet = new Set<string>();
  /** The newest events, in the order they were appended; older ones are read from the event log. */
  private recent: RecipientEvent[] = [];
  /** Every event in the per-recipient and per-message lists, oldest first from `indexedHead`. */
  private indexed: Array<RecipientEvent | undefined> = [];
  private indexedHead = 0;
  /** Newest time of an event dropped from `recent` to bound memory: windows reaching it read the log. */
  private droppedUpTo = -Infinity;
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private waiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  private lastPrune = 0;
  private lastSnapshotTry = 0;
  private journal: Journal | null = null;
  /** The journal being closed by a compaction: its lines must be on disk before durable() resolves. */
  private retiring: Promise<void> | null = null;
  private journalGen = 0;
  private compactTimer: NodeJS.Timeout | null = null;
  private compacting: Promise<void> | null = null;
  private flushQueued = false;
  private readonly events: EventLog;
  private readonly journals: JournalFiles;
  private readOnly = false;
  private listeners: Array<(e: RecipientEvent) => void> = [];
  /** The last failed write of each kind, until one of that kind succeeds. */
  private readonly failures = new Map<'write' | 'snapshot', { cause: string; since: number }>();

  constructor(private readonly opts: LowdbStoreOptions) {
    this.events = new EventLog(path.join(opts.dir, 'events'));
    this.journals = new JournalFiles(opts.dir);
  }

  /** Loads every shard; read-only opens (CLI inspection) never write or start the flush timer. */
  async open(opts: { readOnly?: boolean } = {}): Promise<void> {
    this.readOnly = !!opts.readOnly;
    if (!this.readOnly) {
      await ensurePrivateDir(this.opts.dir);
      await this.events.prepare();
      await this.tightenModes();
    }
    const width = String(this.opts.shards - 1).length;
    const load = async <T>(prefix: string): Promise<Shard<T>[]> => {
      const shards: Shard<T>[] = [];
      for (let i = 0; i < this.opts.shards; i++) {
        const file = path.join(this.opts.dir, `${prefix}-${String(i).padStart(width, '0')}.json`);
        const adapter = new DurableJSONFile<{ items: Record<string, T> }>(file);
        const db = new Low(adapter, { items: {} as Record<string, T> });
        // Read through the adapter ourselves: Low.read() would keep the empty default for a file holding `null`.
        const data = await adapter.read();
        if (adapter.existed) {
          const items = (data as { items?: unknown } | null)?.items;
          if (!items || typeof items !== 'object' || Array.isArray(items)) {
            throw new StoreCorruptError(file, 'valid JSON, but not a store document ({"items": {...}})');
          }
          db.data = data!;
        }
        // A missing store is created (written on the first flush).
        shards.push({ db, dirty: !adapter.existed });
      }
      return shards;
    };
    this.messages = await load<MessageRecord>('messages');
    this.recipients = await load<PackedRecipient>('recipients');
    await this.replayJournals();
    const rekeyed = this.rekeyRecipients();
    const all: MessageRecord[] = [];
    for (const sh of this.messages) for (const m of Object.values(sh.db.data.items)) {
      all.push(m);
      this.messageById.set(m.queueId, m);
      if (m.messageId) this.byMessageId.set(m.messageId, m.queueId);
    }
    this.order = all.sort((a, b) => a.receivedAt - b.receivedAt).map((m) => m.queueId);
    await this.loadEvents();
    if (this.readOnly) return;
    this.journalGen++;
    this.journal = await Journal.open(this.journals.file(this.journalGen));
    // Records moved to their keys are written out now, before any new journal line is keyed by
    // them, so the old spellings are gone from the files when the first change comes in.
    if (rekeyed) await this.compact();
    this.timer = setInterval(() => void this.flush(), this.opts.flushIntervalMs);
    this.timer.unref();
    this.compactTimer = setInterval(() => this.compactInBackground(), this.opts.compactIntervalMs ?? 60_000);
    this.compactTimer.unref();
  }

  /** Owner-only modes for what an older version (or a wide umask) left behind. */
  private async tightenModes(): Promise<void> {
    for (const dir of [this.opts.dir, this.events.dir]) {
      for (const e of await fsp.readdir(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isFile()) await fsp.chmod(p, FILE_MODE);
        else if (e.isDirectory()) await fsp.chmod(p, DIR_MODE);
      }
    }
  }

  /**
   * Stores written before addresses were normalised keep records under the address as submitted:
   * move each under its key, merging spellings of the same address. Stores written before records
   * were packed hold whole records: pack them (written out by the next snapshot). Indexes flagged
   * and suppressed records in the same pass (one pass over a million keys is a few hundred ms).
   * True when a record moved to another key.
   */
  private rekeyRecipients(): boolean {
    let moved = false;
    for (const sh of this.recipients) {
      const items = sh.db.data.items as Record<string, PackedRecipient | RecipientRecord>;
      for (const k of Object.keys(items)) {
        const v = items[k]!;
        const key = addressKey(k);
        const whole = isWholeRecord(v);
        if (key === k && !whole) {
          this.indexRecipient(key, v);
          continue;
        }
        const record = whole ? v : unpackRecipient(k, v);
        sh.dirty = true;
        if (key === k) {
          this.indexRecipient(key, (items[k] = packRecipient(key, record)));
          continue;
        }
        delete items[k];
        const target = this.shardOf(this.recipients, key);
        const there = target.db.data.items[key] as PackedRecipient | RecipientRecord | undefined;
        const prev = there === undefined ? undefined : isWholeRecord(there) ? there : unpackRecipient(key, there);
        this.indexRecipient(key, (target.db.data.items[key] = packRecipient(key, mergeRecipients(prev, record))));
        target.dirty = true;
        moved = true;
      }
    }
    return moved;
  }

  /** Applies the journals written since the last snapshot, under the keys as written (rekeyRecipients() follows). */
  private async replayJournals(): Promise<void> {
    const { lastGen, skipped } = await this.journals.replay((op) => {
      const shards = op.c === 'm' ? this.messages : this.recipients;
      const sh = this.shardOf<unknown>(shards as Shard<unknown>[], op.k);
      if (op.d) delete sh.db.data.items[op.k];
      else sh.db.data.items[op.k] = op.v;
      sh.dirty = true;
    }, !this.readOnly);
    this.journalGen = Math.max(this.journalGen, lastGen);
    if (skipped) this.opts.logger.warn({ skipped }, 'store: skipped unreadable journal lines');
  }

  /**
   * Reads the retention's events. Only the newest ones (the working set, and `recent`) are indexed;
   * an older one is kept only when it belongs to a flagged recipient's or a queued message's list,
   * the rest is dropped at once (so it dies young instead of passing through the old generation:
   * a million events read back cost 1.3 GB of RSS that way). Windows reaching them read the files.
   */
  private async loadEvents(): Promise<void> {
    const cutoff = dayOf(this.opts.clock.now() - this.opts.eventRetentionDays * DAY_MS);
    const days = (await this.events.days()).filter((d) => d >= cutoff);
    let total = 0;
    for (const day of days) total += await this.events.countLines(day);
    const listsFrom = total - (this.opts.indexedEvents ?? INDEXED_EVENTS);
    const recentFrom = total - RECENT_EVENTS;
    let n = 0;
    for (const day of days) {
      for await (const line of this.events.readDayLines(day)) {
        const i = n++;
        if (i < listsFrom) {
          // Old: most lines are only skimmed; a line that may belong to a list that keeps its events is parsed.
          const skim = skimEvent(line);
          if (skim && !this.mayKeepOld(skim)) {
            this.droppedUpTo = Math.max(this.droppedUpTo, skim.time);
            continue;
          }
        }
        const e = this.events.parse(line);
        if (!e) continue;
        this.addToLists(e, i < listsFrom);
        if (i >= recentFrom) this.addToRecent(e, 0);
        else this.droppedUpTo = Math.max(this.droppedUpTo, e.time);
      }
    }
    // A line torn by a crash; the spool still holds the truth for unfinished mail.
    if (this.events.skipped) this.opts.logger.warn({ skipped: this.events.skipped }, 'store: skipped unreadable event lines');
  }

  /** Whether an old event may go to a flagged recipient's or a queued message's list. */
  private mayKeepOld(e: SkimmedEvent): boolean {
    return (e.rcpt !== null && this.flagged.has(addressKey(e.rcpt))) || (e.queueId !== null && this.messageById.get(e.queueId)?.status === 'queued');
  }

  /** `unwritten`: how many of the newest events are not in the event log yet (never dropped from memory). */
  private index(e: RecipientEvent, unwritten: number): void {
    this.addToLists(e, false);
    this.addToRecent(e, unwritten);
  }

  /**
   * Appends the event to its recipients' and message's lists. `protectedOnly`: an event older than
   * the working set (read at start-up) goes only to the lists that keep theirs.
   */
  private addToLists(e: RecipientEvent, protectedOnly: boolean): void {
    const push = (map: Map<string, RecipientEvent[]>, key: string, cap: number) => {
      let list = map.get(key);
      if (!list) map.set(key, (list = []));
      list.push(e);
      if (list.length > cap) list.splice(0, list.length - cap);
    };
    for (const key of rcptKeys(e)) if (!protectedOnly || this.flagged.has(key)) push(this.byRcpt, key, PER_RECIPIENT_EVENTS);
    if ('queueId' in e && e.queueId && (!protectedOnly || this.messageById.get(e.queueId)?.status === 'queued')) push(this.byQueue, e.queueId, 10_000);
    if (protectedOnly) return;
    this.indexed.push(e);
    if (this.indexed.length - this.indexedHead > (this.opts.indexedEvents ?? INDEXED_EVENTS)) this.unindexOldest();
  }

  private addToRecent(e: RecipientEvent, unwritten: number): void {
    this.recent.push(e);
    if (this.recent.length > RECENT_EVENTS * 1.2) {
      const drop = Math.min(this.recent.length - RECENT_EVENTS, this.recent.length - unwritten);
      if (drop > 0) {
        for (let i = 0; i < drop; i++) this.droppedUpTo = Math.max(this.droppedUpTo, this.recent[i]!.time);
        this.recent = this.recent.slice(drop);
      }
    }
  }

  /** Takes the oldest indexed event out of its lists (at their front, as lists are in append order too). */
  private unindexOldest(): void {
    const e = this.indexed[this.indexedHead]!;
    this.indexed[this.indexedHead++] = undefined;
    if (this.indexedHead >= 65_536 && this.indexedHead * 2 >= this.indexed.length) {
      this.indexed = this.indexed.slice(this.indexedHead);
      this.indexedHead = 0;
    }
    const unlink = (map: Map<string, RecipientEvent[]>, key: string) => {
      const list = map.get(key);
      if (list?.[0] !== e) return; // already cut by the list's own cap
      list.shift();
      if (!list.length) map.delete(key);
    };
    for (const key of rcptKeys(e)) if (!this.flagged.has(key)) unlink(this.byRcpt, key);
    if ('queueId' in e && e.queueId && this.messageById.get(e.queueId)?.status !== 'queued') unlink(this.byQueue, e.queueId);
  }

  private shardOf<T>(shards: Shard<T>[], key: string): Shard<T> {
    return shards[fnv1a(key) % shards.length]!;
  }

  putMessage(m: MessageRecord): void {
    const s = this.shardOf(this.messages, m.queueId);
    const isNew = !this.messageById.has(m.queueId);
    s.db.data.items[m.queueId] = m;
    this.messageById.set(m.queueId, m);
    if (isNew) this.addToOrder(m);
    s.dirty = true;
    this.journal?.add(JSON.stringify({ c: 'm', k: m.queueId, v: m }));
    if (m.messageId) this.byMessageId.set(m.messageId, m.queueId);
  }

  findByMessageId(messageId: string): MessageRecord | undefined {
    const q = this.byMessageId.get(messageId.replace(/^<|>$/g, ''));
    return q ? this.getMessage(q) : undefined;
  }

  getMessage(queueId: string): MessageRecord | undefined {
    return this.messageById.get(queueId);
  }

  private addToOrder(m: MessageRecord): void {
    const o = this.order;
    const last = o.length ? this.getMessage(o[o.length - 1]!) : undefined;
    if (!last || last.receivedAt <= m.receivedAt) {
      o.push(m.queueId);
      return;
    }
    let lo = 0;
    let hi = o.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.getMessage(o[mid]!)?.receivedAt ?? 0) <= m.receivedAt) lo = mid + 1;
      else hi = mid;
    }
    o.splice(lo, 0, m.queueId);
  }

  private indexRecipient(key: string, r: PackedRecipient): void {
    if (r.i === 1) this.flagged.add(key);
    else this.flagged.delete(key);
    if (r.sp === 1) this.suppressedSet.add(key);
    else this.suppressedSet.delete(key);
  }

  pageMessages(filter: MessageFilter): { total: number; items: MessageRecord[] } {
    const offset = filter.offset ?? 0;
    const limit = filter.limit ?? Infinity;
    const items: MessageRecord[] = [];
    let total = 0;
    const plain = !filter.status && !filter.rcpt && !filter.since && !filter.until && !filter.where;
    if (plain) {
      // Nothing to test: the page is a slice of the ordered index.
      total = this.order.length;
      for (let i = this.order.length - 1 - offset; i >= 0 && items.length < limit; i--) {
        const m = this.getMessage(this.order[i]!);
        if (m) items.push(m);
      }
      return { total, items };
    }
    const rcpt = filter.rcpt ? addressKey(filter.rcpt) : null;
    for (let i = this.order.length - 1; i >= 0; i--) {
      const m = this.getMessage(this.order[i]!);
      if (!m) continue;
      if (filter.since && m.receivedAt < filter.since) break; // older from here on
      if (filter.until && m.receivedAt >= filter.until) continue;
      if (filter.status && m.status !== filter.status) continue;
      if (rcpt && !m.rcpts.some((r) => addressKey(r.rcpt) === rcpt)) continue;
      if (filter.where && !filter.where(m)) continue;
      if (total >= offset && items.length < limit) items.push(m);
      total++;
    }
    return { total, items };
  }

  listMessages(filter: MessageFilter = {}): MessageRecord[] {
    return this.pageMessages(filter).items;
  }

  getRecipient(email: string): RecipientRecord | undefined {
    const key = addressKey(email);
    const p = this.shardOf(this.recipients, key).db.data.items[key];
    return p && unpackRecipient(key, p);
  }

  putRecipient(r: RecipientRecord): void {
    const key = addressKey(r.email);
    const s = this.shardOf(this.recipients, key);
    const p = packRecipient(key, r);
    s.db.data.items[key] = p;
    s.dirty = true;
    this.indexRecipient(key, p);
    this.journal?.add(JSON.stringify({ c: 'r', k: key, v: p }));
  }

  /** Filters and sorts the packed records; only the ones returned are unpacked. */
  listRecipients(filter: { invalid?: boolean; suppressed?: boolean; limit?: number } = {}): RecipientRecord[] {
    const found: Array<[string, PackedRecipient]> = [];
    const keep = (p: PackedRecipient) =>
      (filter.invalid === undefined || (p.i === 1) === filter.invalid) && (filter.suppressed === undefined || (p.sp === 1) === filter.suppressed);
    const indexed = filter.invalid === true ? this.flagged : filter.suppressed === true ? this.suppressedSet : null;
    if (indexed) {
      for (const key of indexed) {
        const p = this.shardOf(this.recipients, key).db.data.items[key];
        if (p && keep(p)) found.push([key, p]);
      }
    } else {
      for (const s of this.recipients) {
        const items = s.db.data.items;
        for (const key in items) if (keep(items[key]!)) found.push([key, items[key]!]);
      }
    }
    const newest = (a: [string, PackedRecipient], b: [string, PackedRecipient]) => (b[1].t ?? 0) - (a[1].t ?? 0);
    const page = filter.limit && filter.limit < found.length / 8 ? newestFirst(found, filter.limit, newest) : found.sort(newest).slice(0, filter.limit || found.length);
    return page.map(([key, p]) => unpackRecipient(key, p));
  }

  appendEvent(e: RecipientEvent): void {
    this.events.add(e);
    this.index(e, this.events.pendingCount);
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.opts.logger.error({ err: (err as Error).message }, 'store: event listener failed');
      }
    }
  }

  subscribe(listener: (e: RecipientEvent) => void): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  eventsForRecipient(email: string, limit = PER_RECIPIENT_EVENTS): RecipientEvent[] {
    return (this.byRcpt.get(addressKey(email)) ?? []).slice(-limit);
  }

  eventsForMessage(queueId: string): RecipientEvent[] {
    return [...(this.byQueue.get(queueId) ?? [])];
  }

  /**
   * Every event of the window, oldest first, never cut short: from memory while it holds the whole
   * window, else from the event log on disk (plus what is not written yet).
   */
  async *eventsSince(since: number): AsyncGenerator<RecipientEvent, void, undefined> {
    if (since > this.droppedUpTo) {
      for (const e of this.recent.slice()) if (e.time >= since) yield e;
      return;
    }
    yield* this.events.since(since);
  }

  writeHealth(): WriteHealth {
    const f = [...this.failures.values()];
    if (!f.length) return { ok: true };
    return { ok: false, cause: f.map((x) => x.cause).join('; '), since: Math.min(...f.map((x) => x.since)) };
  }

  private failed(kind: 'write' | 'snapshot', err: unknown): void {
    const what = kind === 'write' ? 'journal or event log write' : 'snapshot write';
    const cause = `${what} failed: ${(err as Error).message}`;
    this.failures.set(kind, { cause, since: this.failures.get(kind)?.since ?? this.opts.clock.now() });
  }

  /**
   * Resolves once everything written before the call is on disk. Callers in the same turn share
   * one journal write and sync (group commit).
   */
  durable(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      if (!this.flushQueued) {
        this.flushQueued = true;
        setImmediate(() => {
          this.flushQueued = false;
          void this.flush(false);
        });
      }
    });
  }

  /** Writes the journal and new events now; `syncEvents` also syncs the events file. */
  async flush(syncEvents = true): Promise<void> {
    while (this.flushing) await this.flushing;
    const waiters = this.waiters;
    this.waiters = [];
    this.flushing = this.writeAll(syncEvents).then((ok) => {
      this.flushing = null;
      // After a failed write the callers keep waiting for a flush that succeeds.
      if (ok) for (const w of waiters) w.resolve();
      else this.waiters.unshift(...waiters);
    });
    await this.flushing;
  }

  private async writeAll(syncEvents: boolean): Promise<boolean> {
    try {
      // A compaction's old journal first: its lines are older than the current journal's.
      if (this.retiring) await this.retiring;
      await Promise.all([this.journal?.commit(), this.events.write(syncEvents)]);
      this.failures.delete('write');
      await this.pruneIfDue();
      // Writes work again after a failed snapshot (space came back): try the snapshot soon, not
      // only at the next compaction interval, so readiness and the journal size recover.
      if (this.failures.has('snapshot') && this.opts.clock.now() - this.lastSnapshotTry >= SNAPSHOT_RETRY_MS) this.compactInBackground();
      return true;
    } catch (err) {
      this.failed('write', err);
      this.opts.logger.error({ err: (err as Error).message }, 'store: write failed, will retry');
      return false;
    }
  }

  /**
   * Writes changed shards as a new snapshot through lowdb (one per event-loop turn, so the loop
   * stays responsive), then deletes the journals the snapshot covers.
   */
  async compact(): Promise<void> {
    if (this.readOnly || !this.journal) return;
    if (this.compacting) return this.compacting;
    this.compacting = (async () => {
      if (!this.journal!.bytes && !this.journal!.hasPending && ![...this.messages, ...this.recipients].some((s) => s.dirty)) return;
      this.lastSnapshotTry = this.opts.clock.now();
      let next: Journal;
      try {
        next = await Journal.open(this.journals.file(this.journalGen + 1));
      } catch (err) {
        // A full or read-only disk: keep the current journal and try again later.
        this.failed('snapshot', err);
        this.opts.logger.error({ err: (err as Error).message }, 'store: cannot start a new journal; snapshot postponed');
        return;
      }
      // Swap journals and take the dirty set in one synchronous step: every change before it is in
      // the old journal and in a dirty shard (so in the snapshot); every change after it is in the new journal.
      const old = this.journal!;
      const coveredGen = this.journalGen;
      this.journalGen++;
      this.journal = next;
      const dirty = [...this.messages, ...this.recipients].filter((s) => s.dirty);
      for (const s of dirty) s.dirty = false;
      // The old journal's last lines are not on disk yet: flushes wait for them (see writeAll). If
      // they cannot be written now, they go to the new journal ahead of its own lines, so nothing
      // made before the swap depends on a snapshot that may not happen.
      this.retiring = old.commit().catch(() => next.prepend(old.takePending())).finally(() => old.close().catch(() => undefined));
      await this.retiring;
      this.retiring = null;
      try {
        for (const s of dirty) {
          await s.db.write();
          await new Promise((r) => setImmediate(r));
        }
      } catch (err) {
        for (const s of dirty) s.dirty = true;
        this.failed('snapshot', err);
        this.opts.logger.error({ err: (err as Error).message }, 'store: snapshot failed; the journal is kept');
        return;
      }
      await this.journals.removeUpTo(coveredGen);
      this.failures.delete('snapshot');
    })().finally(() => {
      this.compacting = null;
    });
    return this.compacting;
  }

  private compactInBackground(): void {
    this.compact().catch((err: Error) => {
      this.failed('snapshot', err);
      this.opts.logger.error({ err: err.message }, 'store: compaction failed; the journals are kept');
    });
  }

  /**
   * Drops event days, finished messages and uninformative recipient records older than the
   * retention, at most once an hour. A recipient record goes only when it is clean (no flag, no
   * suppression, no awaited message) and inactive since the cutoff: it would tell nothing a missing
   * record does not (an address never sent to is clean too); its counters and history go with it.
   */
  private async pruneIfDue(): Promise<void> {
    const now = this.opts.clock.now();
    if (now - this.lastPrune < 3_600_000) return;
    this.lastPrune = now;
    const cutoffTime = now - this.opts.eventRetentionDays * DAY_MS;
    await this.events.prune(dayOf(cutoffTime));
    for (const s of this.messages) {
      for (const [id, m] of Object.entries(s.db.data.items)) {
        if (m.status === 'done' && m.receivedAt < cutoffTime) {
          delete s.db.data.items[id];
          this.messageById.delete(id);
          this.journal?.add(JSON.stringify({ c: 'm', k: id, d: 1 }));
          this.byQueue.delete(id);
          if (m.messageId && this.byMessageId.get(m.messageId) === id) this.byMessageId.delete(m.messageId);
          s.dirty = true;
        }
      }
    }
    this.recent = this.recent.filter((e) => e.time >= cutoffTime);
    this.order = this.order.filter((q) => this.getMessage(q) !== undefined);
    await this.pruneRecipients(cutoffTime);
  }

  /**
   * One shard per event-loop turn, so a million records do not hold the loop; within a shard the
   * test and the delete are one synchronous step (no putRecipient lands between them).
   */
  private async pruneRecipients(cutoffTime: number): Promise<void> {
    for (const s of this.recipients) {
      await new Promise((r) => setImmediate(r));
      const items = s.db.data.items;
      for (const key in items) {
        if (!carriesNoInformation(items[key]!, cutoffTime)) continue;
        delete items[key];
        this.byRcpt.delete(key);
        this.journal?.add(JSON.stringify({ c: 'r', k: key, d: 1 }));
        s.dirty = true;
      }
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.compactTimer) clearInterval(this.compactTimer);
    this.timer = null;
    this.compactTimer = null;
    if (this.readOnly) return;
    await this.flush();
    await this.compact();
    await this.journal?.close();
    this.journal = null;
    await this.events.close();
  }
}
