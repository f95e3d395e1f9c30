import { promises as fsp, createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { Low } from 'lowdb';
import type { Logger } from '../util/logger.js';
import type { Clock } from '../util/clock.js';
import type { MessageRecord, RecipientEvent, RecipientRecord } from '../types.js';
import { DurableJSONFile } from './durable-json-file.js';
import type { MessageFilter, Store } from './types.js';

interface Shard<T> {
  db: Low<{ items: Record<string, T> }>;
  dirty: boolean;
}

export interface LowdbStoreOptions {
  dir: string;
  shards: number;
  flushIntervalMs: number;
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
 * lowdb as the embedded store. lowdb rewrites a whole file per write, so records are spread
 * over many small shard files and only changed shards are written, one per event-loop turn,
 * on a timer (coalesced). Events are append-only, so they go to one JSON-lines file per day
 * instead: appending is cheap and retention is deleting old days.
 */
export class LowdbStore implements Store {
  private messages: Shard<MessageRecord>[] = [];
  private recipients: Shard<RecipientRecord>[] = [];
  private pendingEvents: RecipientEvent[] = [];
  private readonly byRcpt = new Map<string, RecipientEvent[]>();
  private readonly byQueue = new Map<string, RecipientEvent[]>();
  private readonly byMessageId = new Map<string, string>();
  private recent: RecipientEvent[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private waiters: Array<() => void> = [];
  private lastPrune = 0;
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
        await db.read();
        // A missing store is created (written on the first flush).
        let dirty = !adapter.existed;
        if (!db.data || typeof db.data.items !== 'object' || db.data.items === null) {
          db.data = { items: {} };
          dirty = true;
        }
        shards.push({ db, dirty });
      }
      return shards;
    };
    this.messages = await load<MessageRecord>('messages');
    for (const sh of this.messages) for (const m of Object.values(sh.db.data.items)) if (m.messageId) this.byMessageId.set(m.messageId, m.queueId);
    this.recipients = await load<RecipientRecord>('recipients');
    await this.loadEvents();
    if (this.readOnly) return;
    this.timer = setInterval(() => void this.flush(), this.opts.flushIntervalMs);
    this.timer.unref();
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
    s.db.data.items[m.queueId] = m;
    s.dirty = true;
    if (m.messageId) this.byMessageId.set(m.messageId, m.queueId);
  }

  findByMessageId(messageId: string): MessageRecord | undefined {
    const q = this.byMessageId.get(messageId.replace(/^<|>$/g, ''));
    return q ? this.getMessage(q) : undefined;
  }

  getMessage(queueId: string): MessageRecord | undefined {
    return this.shardOf(this.messages, queueId).db.data.items[queueId];
  }

  listMessages(filter: MessageFilter = {}): MessageRecord[] {
    const out: MessageRecord[] = [];
    for (const s of this.messages) {
      for (const m of Object.values(s.db.data.items)) {
        if (filter.status && m.status !== filter.status) continue;
        if (filter.since && m.receivedAt < filter.since) continue;
        if (filter.rcpt && !m.rcpts.some((r) => r.rcpt === filter.rcpt)) continue;
        out.push(m);
      }
    }
    out.sort((a, b) => b.receivedAt - a.receivedAt);
    return filter.limit ? out.slice(0, filter.limit) : out;
  }

  getRecipient(email: string): RecipientRecord | undefined {
    return this.shardOf(this.recipients, email).db.data.items[email];
  }

  putRecipient(r: RecipientRecord): void {
    const s = this.shardOf(this.recipients, r.email);
    s.db.data.items[r.email] = r;
    s.dirty = true;
  }

  listRecipients(filter: { invalid?: boolean; limit?: number } = {}): RecipientRecord[] {
    const out: RecipientRecord[] = [];
    for (const s of this.recipients) {
      for (const r of Object.values(s.db.data.items)) {
        if (filter.invalid !== undefined && r.invalid !== filter.invalid) continue;
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
   * Resolves once everything written before the call is on disk. It waits for the next timed
   * flush rather than forcing one, so bursts of callers share one write of each shard.
   */
  durable(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Writes changed shards and new events now. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    const waiters = this.waiters;
    this.waiters = [];
    this.flushing = this.writeAll().then((ok) => {
      this.flushing = null;
      // After a failed write the callers keep waiting for a flush that succeeds.
      if (ok) for (const w of waiters) w();
      else this.waiters.unshift(...waiters);
    });
    await this.flushing;
  }

  /** One shard per event-loop turn keeps the loop responsive while a flush runs. */
  private async writeAll(): Promise<boolean> {
    try {
      await this.writeEvents();
      for (const s of [...this.messages, ...this.recipients]) {
        if (!s.dirty) continue;
        s.dirty = false;
        try {
          await s.db.write();
        } catch (err) {
          s.dirty = true;
          throw err;
        }
        await new Promise((r) => setImmediate(r));
      }
      await this.pruneIfDue();
      return true;
    } catch (err) {
      this.opts.logger.error({ err }, 'store: write failed, will retry');
      return false;
    }
  }

  private async writeEvents(): Promise<void> {
    if (!this.pendingEvents.length) return;
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
        const h = await fsp.open(path.join(this.eventsDir, `${day}.jsonl`), 'a');
        try {
          await h.write(lines.join('\n') + '\n');
          await h.datasync();
        } finally {
          await h.close();
        }
      }
    } catch (err) {
      this.pendingEvents.unshift(...events);
      throw err;
    }
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
          this.byQueue.delete(id);
          if (m.messageId && this.byMessageId.get(m.messageId) === id) this.byMessageId.delete(m.messageId);
          s.dirty = true;
        }
      }
    }
    this.recent = this.recent.filter((e) => e.time >= cutoffTime);
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (!this.readOnly) await this.flush();
  }
}
