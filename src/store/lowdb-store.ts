import { promises as fsp, createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { Low } from 'lowdb';
import type { Logger } from '../util/logger.js';
import type { Clock } from '../util/clock.js';
import type { MessageRecord, RecipientEvent, RecipientRecord } from '../types.js';
import { DurableJSONFile, StoreCorruptError } from './durable-json-file.js';
import { Journal } from './journal.js';
import type { MessageFilter, Store } from './types.js';

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
  logger: Logger;
  clock: Clock;
}

const PER_RECIPIENT_EVENTS = 100;
const RECENT_EVENTS = 50_000;
const DAY_MS = 86_400_000;

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function dayOf(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}

/**
 * lowdb as the embedded store, used like a database would use its files. The records live in
 * memory in many small lowdb documents (shards). Every change is appended to a journal with group
 * commit, so making changes durable costs one write and one sync, not a rewrite of lowdb files
 * (lowdb stringifies a whole document per write). From time to time the changed shards are written
 * out through lowdb as a snapshot and older journals are deleted. On open: snapshot, then the
 * journals in order. Events are append-only, one JSON-lines file per day (retention deletes days).
 */
export class LowdbStore implements Store {
  private messages: Shard<MessageRecord>[] = [];
  private recipients: Shard<RecipientRecord>[] = [];
  private pendingEvents: RecipientEvent[] = [];
  private readonly byRcpt = new Map<string, RecipientEvent[]>();
  private readonly byQueue = new Map<string, RecipientEvent[]>();
  private readonly byMessageId = new Map<string, string>();
  /** Queue ids in receivedAt order, so lists are newest-first without sorting every time. */
  private order: string[] = [];
  /** Direct lookup (the shards are for writing); kept in step with them. */
  private readonly messageById = new Map<string, MessageRecord>();
  private readonly flagged = new Set<string>();
  private readonly suppressedSet = new Set<string>();
  private recent: RecipientEvent[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private waiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  private lastPrune = 0;
  private journal: Journal | null = null;
  private journalGen = 0;
  private compactTimer: NodeJS.Timeout | null = null;
  private compacting: Promise<void> | null = null;
  private flushQueued = false;
  private eventHandle: { day: string; h: fsp.FileHandle } | null = null;
  private eventsUnsynced = false;
  private readOnly = false;
  private listeners: Array<(e: RecipientEvent) => void> = [];

  constructor(private readonly opts: LowdbStoreOptions) {}

  private get eventsDir(): string {
    return path.join(this.opts.dir, 'events');
  }

  /** Loads every shard; read-only opens (CLI inspection) never write or start the flush timer. */
  async open(opts: { readOnly?: boolean } = {}): Promise<void> {
    this.readOnly = !!opts.readOnly;
    if (!this.readOnly) await fsp.mkdir(this.eventsDir, { recursive: true });
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
    this.recipients = await load<RecipientRecord>('recipients');
    await this.replayJournals();
    const all: MessageRecord[] = [];
    for (const sh of this.messages) for (const m of Object.values(sh.db.data.items)) {
      all.push(m);
      this.messageById.set(m.queueId, m);
      if (m.messageId) this.byMessageId.set(m.messageId, m.queueId);
    }
    this.order = all.sort((a, b) => a.receivedAt - b.receivedAt).map((m) => m.queueId);
    for (const sh of this.recipients) for (const r of Object.values(sh.db.data.items)) this.indexRecipient(r);
    await this.loadEvents();
    if (this.readOnly) return;
    this.journalGen++;
    this.journal = await Journal.open(this.journalFile(this.journalGen));
    this.timer = setInterval(() => void this.flush(), this.opts.flushIntervalMs);
    this.timer.unref();
    this.compactTimer = setInterval(() => void this.compact(), this.opts.compactIntervalMs ?? 60_000);
    this.compactTimer.unref();
  }

  private async cutTornTail(file: string, line: number): Promise<void> {
    const h = await fsp.open(file, 'r+');
    try {
      const { size } = await h.stat();
      const tail = Buffer.alloc(Math.min(size, 8 * 1024 * 1024));
      await h.read(tail, 0, tail.length, size - tail.length);
      if (tail[tail.length - 1] === 0x0a) throw new StoreCorruptError(file, `journal line ${line} is damaged (a complete line, not a torn write)`);
      const nl = tail.lastIndexOf(0x0a);
      await h.truncate(nl === -1 ? size - tail.length : size - tail.length + nl + 1);
      await h.sync();
    } finally {
      await h.close();
    }
  }

  private journalFile(gen: number): string {
    return path.join(this.opts.dir, `journal-${String(gen).padStart(8, '0')}.jsonl`);
  }

  private async journalGens(): Promise<number[]> {
    const names = await fsp.readdir(this.opts.dir).catch(() => [] as string[]);
    return names.map((n) => /^journal-(\d{8})\.jsonl$/.exec(n)).filter((m) => m).map((m) => Number(m![1])).sort((a, b) => a - b);
  }

  /** Applies the journals written since the last snapshot, oldest first (the last line for a key wins). */
  private async replayJournals(): Promise<void> {
    let skipped = 0;
    const gens = await this.journalGens();
    for (const gen of gens) {
      this.journalGen = Math.max(this.journalGen, gen);
      const file = this.journalFile(gen);
      const rl = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
      let bad: number | null = null;
      let n = 0;
      for await (const line of rl) {
        n++;
        if (!line) continue;
        if (bad !== null) throw new StoreCorruptError(file, `journal line ${bad} is damaged and is not the last line`);
        let op: { c: 'm' | 'r'; k: string; v?: unknown; d?: 1 };
        try {
          op = JSON.parse(line) as typeof op;
        } catch {
          bad = n;
          continue;
        }
        const shards = op.c === 'm' ? this.messages : this.recipients;
        const sh = this.shardOf<unknown>(shards as Shard<unknown>[], op.k);
        if (op.d) delete sh.db.data.items[op.k];
        else sh.db.data.items[op.k] = op.v;
        sh.dirty = true;
      }
      if (bad !== null) {
        // Only the newest journal can end in a write torn by a crash (no final newline); cut it off
        // so the file is clean when a newer journal follows it. Anything else is damage.
        if (gen !== gens[gens.length - 1]) throw new StoreCorruptError(file, `journal line ${bad} is damaged in a journal that was closed cleanly`);
        if (!this.readOnly) await this.cutTornTail(file, bad);
        skipped++;
      }
    }
    if (skipped) this.opts.logger.warn({ skipped }, 'store: skipped unreadable journal lines');
  }

  private async loadEvents(): Promise<void> {
    const cutoff = dayOf(this.opts.clock.now() - this.opts.eventRetentionDays * DAY_MS);
    const files = (await fsp.readdir(this.eventsDir).catch(() => [] as string[])).filter((f) => f.endsWith('.jsonl')).sort();
    let skipped = 0;
    for (const f of files) {
      if (f.slice(0, 10) < cutoff) continue;
      const rl = createInterface({ input: createReadStream(path.join(this.eventsDir, f)), crlfDelay: Infinity });
      for await (const line of rl) {
        if (!line) continue;
        try {
          this.index(JSON.parse(line) as RecipientEvent);
        } catch {
          skipped++; // a line torn by a crash; the spool still holds the truth for unfinished mail
        }
      }
    }
    if (skipped) this.opts.logger.warn({ skipped }, 'store: skipped unreadable event lines');
  }

  private index(e: RecipientEvent): void {
    const push = (map: Map<string, RecipientEvent[]>, key: string, cap: number) => {
      let list = map.get(key);
      if (!list) map.set(key, (list = []));
      list.push(e);
      if (list.length > cap) list.splice(0, list.length - cap);
    };
    if ('rcpt' in e && e.rcpt) push(this.byRcpt, e.rcpt, PER_RECIPIENT_EVENTS);
    if (e.type === 'integration') for (const r of e.rcpts) push(this.byRcpt, r, PER_RECIPIENT_EVENTS);
    if ('queueId' in e && e.queueId) push(this.byQueue, e.queueId, 10_000);
    this.recent.push(e);
    if (this.recent.length > RECENT_EVENTS * 1.2) this.recent = this.recent.slice(-RECENT_EVENTS);
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

  private indexRecipient(r: RecipientRecord): void {
    if (r.invalid) this.flagged.add(r.email);
    else this.flagged.delete(r.email);
    if (r.suppressed) this.suppressedSet.add(r.email);
    else this.suppressedSet.delete(r.email);
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
    for (let i = this.order.length - 1; i >= 0; i--) {
      const m = this.getMessage(this.order[i]!);
      if (!m) continue;
      if (filter.since && m.receivedAt < filter.since) break; // older from here on
      if (filter.until && m.receivedAt >= filter.until) continue;
      if (filter.status && m.status !== filter.status) continue;
      if (filter.rcpt && !m.rcpts.some((r) => r.rcpt === filter.rcpt)) continue;
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
    return this.shardOf(this.recipients, email).db.data.items[email];
  }

  putRecipient(r: RecipientRecord): void {
    const s = this.shardOf(this.recipients, r.email);
    s.db.data.items[r.email] = r;
    s.dirty = true;
    this.indexRecipient(r);
    this.journal?.add(JSON.stringify({ c: 'r', k: r.email, v: r }));
  }

  listRecipients(filter: { invalid?: boolean; suppressed?: boolean; limit?: number } = {}): RecipientRecord[] {
    const out: RecipientRecord[] = [];
    const indexed = filter.invalid === true ? this.flagged : filter.suppressed === true ? this.suppressedSet : null;
    if (indexed) {
      for (const email of indexed) {
        const r = this.getRecipient(email);
        if (!r) continue;
        if (filter.invalid !== undefined && r.invalid !== filter.invalid) continue;
        if (filter.suppressed !== undefined && r.suppressed !== filter.suppressed) continue;
        out.push(r);
      }
      out.sort((a, b) => (b.lastEventAt ?? 0) - (a.lastEventAt ?? 0));
      return filter.limit ? out.slice(0, filter.limit) : out;
    }
    for (const s of this.recipients) {
      for (const r of Object.values(s.db.data.items)) {
        if (filter.invalid !== undefined && r.invalid !== filter.invalid) continue;
        if (filter.suppressed !== undefined && r.suppressed !== filter.suppressed) continue;
        out.push(r);
      }
    }
    out.sort((a, b) => (b.lastEventAt ?? 0) - (a.lastEventAt ?? 0));
    return filter.limit ? out.slice(0, filter.limit) : out;
  }

  appendEvent(e: RecipientEvent): void {
    this.pendingEvents.push(e);
    this.index(e);
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
    return (this.byRcpt.get(email) ?? []).slice(-limit);
  }

  eventsForMessage(queueId: string): RecipientEvent[] {
    return [...(this.byQueue.get(queueId) ?? [])];
  }

  recentEvents(since: number, limit = RECENT_EVENTS): RecipientEvent[] {
    const out = this.recent.filter((e) => e.time >= since);
    return out.slice(-limit);
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
      await Promise.all([this.journal?.commit(), this.writeEvents(syncEvents)]);
      await this.pruneIfDue();
      return true;
    } catch (err) {
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
      const next = await Journal.open(this.journalFile(this.journalGen + 1));
      // Swap journals and take the dirty set in one synchronous step: every change before it is in
      // the old journal and in a dirty shard (so in the snapshot); every change after it is in the new journal.
      const old = this.journal!;
      const coveredGen = this.journalGen;
      this.journalGen++;
      this.journal = next;
      const dirty = [...this.messages, ...this.recipients].filter((s) => s.dirty);
      for (const s of dirty) s.dirty = false;
      await old.close();
      try {
        for (const s of dirty) {
          await s.db.write();
          await new Promise((r) => setImmediate(r));
        }
      } catch (err) {
        for (const s of dirty) s.dirty = true;
        this.opts.logger.error({ err: (err as Error).message }, 'store: snapshot failed; the journal is kept');
        return;
      }
      for (const gen of await this.journalGens()) {
        if (gen <= coveredGen) await fsp.rm(this.journalFile(gen), { force: true });
      }
    })().finally(() => {
      this.compacting = null;
    });
    return this.compacting;
  }

  /**
   * Appends new events to their day's file. The file stays open; it is synced on the timed flush
   * and at close, not on every durable() call: events are history, while the journal (synced on
   * every durable()) holds the records that decide what happens to mail.
   */
  private async writeEvents(sync: boolean): Promise<void> {
    if (this.pendingEvents.length) {
      const events = this.pendingEvents;
      this.pendingEvents = [];
      const byDay = new Map<string, string[]>();
      for (const e of events) {
        const d = dayOf(e.time);
        let lines = byDay.get(d);
        if (!lines) byDay.set(d, (lines = []));
        lines.push(JSON.stringify(e));
      }
      try {
        for (const [day, lines] of byDay) {
          const h = await this.eventFile(day);
          await h.write(lines.join('\n') + '\n');
          this.eventsUnsynced = true;
        }
      } catch (err) {
        this.pendingEvents.unshift(...events);
        throw err;
      }
    }
    if (sync && this.eventsUnsynced && this.eventHandle) {
      this.eventsUnsynced = false;
      await this.eventHandle.h.datasync();
    }
  }

  private async eventFile(day: string): Promise<fsp.FileHandle> {
    if (this.eventHandle?.day === day) return this.eventHandle.h;
    const prev = this.eventHandle;
    const h = await fsp.open(path.join(this.eventsDir, `${day}.jsonl`), 'a');
    this.eventHandle = { day, h };
    if (prev) await prev.h.datasync().finally(() => prev.h.close());
    return h;
  }

  /** Drops event days and finished messages older than the retention, at most once an hour. */
  private async pruneIfDue(): Promise<void> {
    const now = this.opts.clock.now();
    if (now - this.lastPrune < 3_600_000) return;
    this.lastPrune = now;
    const cutoffTime = now - this.opts.eventRetentionDays * DAY_MS;
    const cutoff = dayOf(cutoffTime);
    for (const f of await fsp.readdir(this.eventsDir)) {
      if (f.endsWith('.jsonl') && f.slice(0, 10) < cutoff) await fsp.rm(path.join(this.eventsDir, f), { force: true });
    }
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
    if (this.eventHandle) await this.eventHandle.h.close();
    this.eventHandle = null;
  }
}
