import { AsyncLocalStorage } from 'node:async_hooks';
import { scanPages } from '../scan-pages.js';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { DIR_MODE, FILE_MODE, ensurePrivateDir } from '../../durable/private-files.js';
import { addressKey } from '../../util/address-key.js';
import type { Logger } from '../../util/logger.js';
import type { Clock } from '../../util/clock.js';
import type { MessageRecord, RecipientEvent, RecipientRecord } from '../../types.js';
import type { AsyncStore, MessageQuery, Page, PageRequest, RecipientChange, RecipientQuery, WriteHealth } from '../types.js';
import { copyEvent, copyMessage } from './copy.js';
import { EventIndex, PER_RECIPIENT_EVENTS } from './event-index.js';
import { EventLog, dayOf } from './event-log.js';
import { Journal } from './journal.js';
import { JournalFiles } from './journal-files.js';
import { MessageIndex } from './message-index.js';
import { compileMessageQuery } from './message-query.js';
import type { PackedRecipient } from './packed-recipient.js';
import { RecipientIndex } from './recipient-index.js';
import { type Shard, loadShards, shardOf } from './shards.js';

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

const DAY_MS = 86_400_000;
/** After a failed snapshot, how soon a working write triggers the next try. */
const SNAPSHOT_RETRY_MS = 5_000;
/** Rows per read of a scan (a page as large as a backend serves). */
const SCAN_PAGE = 1000;

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
 *
 * Every change is applied in memory at once, in the call (so reads see it, and updateRecipient's
 * read, change and write are one synchronous step: atomic by construction); its promise resolves
 * after the journal's group commit that holds it. The event log is written in the same flush but
 * synced on the timed flush and at close (events are history; the journal decides the fate of mail).
 */
export class LowdbStore implements AsyncStore {
  readonly engine = 'lowdb' as const;
  private messages!: MessageIndex;
  private recipients!: RecipientIndex;
  private eventIndex!: EventIndex;
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
  /** Set inside transaction(): writes there resolve at once, the transaction waits for them all. */
  private readonly inTransaction = new AsyncLocalStorage<true>();

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
    this.messages = new MessageIndex(await loadShards<MessageRecord>(this.opts.dir, 'messages', this.opts.shards));
    this.recipients = new RecipientIndex(await loadShards<PackedRecipient>(this.opts.dir, 'recipients', this.opts.shards));
    await this.replayJournals();
    const rekeyed = this.recipients.rekey();
    this.messages.build();
    this.eventIndex = new EventIndex({
      isFlagged: (key) => this.recipients.isFlagged(key),
      isQueued: (queueId) => this.messages.get(queueId)?.status === 'queued',
    }, this.opts.indexedEvents);
    await this.eventIndex.load(this.events, dayOf(this.opts.clock.now() - this.opts.eventRetentionDays * DAY_MS));
    // A line torn by a crash; the spool still holds the truth for unfinished mail.
    if (this.events.skipped) this.opts.logger.warn({ skipped: this.events.skipped }, 'store: skipped unreadable event lines');
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

  /** Applies the journals written since the last snapshot, under the keys as written (rekey() follows). */
  private async replayJournals(): Promise<void> {
    const { lastGen, skipped } = await this.journals.replay((op) => {
      const shards = (op.c === 'm' ? this.messages.shards : this.recipients.shards) as Shard<unknown>[];
      const sh = shardOf(shards, op.k);
      if (op.d) delete sh.db.data.items[op.k];
      else sh.db.data.items[op.k] = op.v;
      sh.dirty = true;
    }, !this.readOnly);
    this.journalGen = Math.max(this.journalGen, lastGen);
    if (skipped) this.opts.logger.warn({ skipped }, 'store: skipped unreadable journal lines');
  }

  /** Resolves once this write is durable; inside a transaction, at once (the transaction waits). */
  private written(): Promise<void> {
    return this.inTransaction.getStore() ? Promise.resolve() : this.durable();
  }

  /**
   * lowdb's transaction is a grouping, not a rollback: each write inside is applied at once (reads
   * inside and outside see it) and resolves at once; the transaction resolves, or rejects with
   * fn's error, only once every write made inside is durable. A write made before an error stays
   * (memory and journal agree); a crash may keep some of a transaction's writes and not others
   * when a group commit fell between them. Nothing on lowdb needs more: there is one node, the
   * spool is the queue, and the one read-change-write that must not interleave (a recipient
   * update) is atomic on its own.
   */
  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    if (this.inTransaction.getStore()) return fn();
    try {
      return await this.inTransaction.run(true, fn);
    } finally {
      await this.durable();
    }
  }

  putMessage(m: MessageRecord): Promise<void> {
    const copy = copyMessage(m);
    this.messages.put(copy);
    this.journal?.add(JSON.stringify({ c: 'm', k: copy.queueId, v: copy }));
    return this.written();
  }

  async getMessage(queueId: string): Promise<MessageRecord | undefined> {
    const m = this.messages.get(queueId);
    return m && copyMessage(m);
  }

  async findByMessageId(messageId: string): Promise<MessageRecord | undefined> {
    const m = this.messages.byMessageIdHeader(messageId.replace(/^<|>$/g, ''));
    return m && copyMessage(m);
  }

  private messageTest(q: MessageQuery): ((m: MessageRecord) => boolean) | null {
    return compileMessageQuery(q, (queueId) => this.eventIndex.forMessage(queueId));
  }

  async pageMessages(q: MessageQuery, page: PageRequest): Promise<Page<MessageRecord>> {
    const p = this.messages.page(q, this.messageTest(q), page);
    return { ...p, items: p.items.map(copyMessage) };
  }

  async countMessages(q: MessageQuery): Promise<number> {
    return this.messages.count(q, this.messageTest(q));
  }

  scanMessages(q: MessageQuery): AsyncGenerator<MessageRecord, void, undefined> {
    return scanPages((req) => this.pageMessages(q, req), SCAN_PAGE);
  }

  async countMessagesByBucket(q: { since: number; until: number; origin: number; bucketMs: number }): Promise<Map<number, number>> {
    return this.messages.countByBucket(q);
  }

  async getRecipient(email: string): Promise<RecipientRecord | undefined> {
    return this.recipients.get(addressKey(email));
  }

  async getRecipients(emails: string[]): Promise<Map<string, RecipientRecord>> {
    const out = new Map<string, RecipientRecord>();
    for (const key of new Set(emails.map(addressKey))) {
      const r = this.recipients.get(key);
      if (r) out.set(key, r);
    }
    return out;
  }

  putRecipient(r: RecipientRecord): Promise<void> {
    this.writeRecipient(addressKey(r.email), r);
    return this.written();
  }

  private writeRecipient(key: string, r: RecipientRecord): void {
    const p = this.recipients.put(key, r);
    this.journal?.add(JSON.stringify({ c: 'r', k: key, v: p }));
  }

  /** Read, change and write in one synchronous step: no other update of the address can come between. */
  async updateRecipient(email: string, change: (prev: RecipientRecord | undefined) => RecipientChange): Promise<RecipientRecord | undefined> {
    const key = addressKey(email);
    const { record, events } = change(this.recipients.get(key));
    if (record) this.writeRecipient(key, record);
    if (events?.length) this.addEvents(events);
    // As written by this update: later ones may land before its commit does.
    const now = this.recipients.get(key);
    await this.written();
    return now;
  }

  async pageRecipients(q: RecipientQuery, page: PageRequest): Promise<Page<RecipientRecord>> {
    return this.recipients.page(q, page);
  }

  async countRecipients(q: RecipientQuery): Promise<number> {
    return this.recipients.count(q);
  }

  scanRecipients(q: RecipientQuery): AsyncGenerator<RecipientRecord, void, undefined> {
    return scanPages((req) => this.recipients.page(q, req), SCAN_PAGE);
  }

  appendEvents(events: RecipientEvent[]): Promise<void> {
    this.addEvents(events);
    return this.written();
  }

  private addEvents(events: RecipientEvent[]): void {
    for (const given of events) {
      const e = copyEvent(given);
      this.events.add(e);
      this.eventIndex.add(e, this.events.pendingCount);
      if (!this.listeners.length) continue;
      const told = copyEvent(e);
      for (const l of this.listeners) {
        try {
          l(told);
        } catch (err) {
          this.opts.logger.error({ err: (err as Error).message }, 'store: event listener failed');
        }
      }
    }
  }

  /** One node: every event is this node's own, so `localOnly` changes nothing. */
  subscribe(listener: (e: RecipientEvent) => void): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  async eventsForRecipient(email: string, limit = PER_RECIPIENT_EVENTS): Promise<RecipientEvent[]> {
    return this.eventIndex.forRecipient(addressKey(email)).slice(-limit).map(copyEvent);
  }

  async eventsForMessages(queueIds: string[]): Promise<Map<string, RecipientEvent[]>> {
    return new Map(queueIds.map((id) => [id, this.eventIndex.forMessage(id).map(copyEvent)]));
  }

  async eventsForMessage(queueId: string): Promise<RecipientEvent[]> {
    return this.eventIndex.forMessage(queueId).map(copyEvent);
  }

  /**
   * Every event of the window, oldest first, never cut short: from memory while it holds the whole
   * window, else from the event log on disk (plus what is not written yet).
   */
  async *eventsSince(since: number): AsyncGenerator<RecipientEvent, void, undefined> {
    const inMemory = this.eventIndex.window(since);
    if (!inMemory) {
      yield* this.events.since(since);
      return;
    }
    for (const e of inMemory) yield copyEvent(e);
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

  /**
   * Writes the journal and new events now. The timed flush (`syncEvents`) also syncs the events
   * file and then does the housekeeping (pruning, a snapshot retry), after the writers it covers
   * were told: a group commit for durable() never waits for a prune.
   */
  async flush(syncEvents = true): Promise<void> {
    while (this.flushing) await this.flushing;
    const waiters = this.waiters;
    this.waiters = [];
    this.flushing = this.writeAll(syncEvents).then(async (ok) => {
      // After a failed write the callers keep waiting for a flush that succeeds.
      if (ok) for (const w of waiters) w.resolve();
      else this.waiters.unshift(...waiters);
      if (ok && syncEvents) await this.housekeeping();
    }).finally(() => {
      this.flushing = null;
    });
    await this.flushing;
  }

  private async writeAll(syncEvents: boolean): Promise<boolean> {
    try {
      // A compaction's old journal first: its lines are older than the current journal's.
      if (this.retiring) await this.retiring;
      await Promise.all([this.journal?.commit(), this.events.write(syncEvents)]);
      this.failures.delete('write');
      return true;
    } catch (err) {
      this.failed('write', err);
      this.opts.logger.error({ err: (err as Error).message }, 'store: write failed, will retry');
      return false;
    }
  }

  private async housekeeping(): Promise<void> {
    try {
      await this.pruneIfDue();
    } catch (err) {
      this.opts.logger.error({ err: (err as Error).message }, 'store: pruning failed, will try again');
    }
    // Writes work again after a failed snapshot (space came back): try the snapshot soon, not
    // only at the next compaction interval, so readiness and the journal size recover.
    if (this.failures.has('snapshot') && this.opts.clock.now() - this.lastSnapshotTry >= SNAPSHOT_RETRY_MS) this.compactInBackground();
  }

  private allShards(): Array<Shard<unknown>> {
    return [...this.messages.shards, ...this.recipients.shards] as Array<Shard<unknown>>;
  }

  /**
   * Writes changed shards as a new snapshot through lowdb (one per event-loop turn, so the loop
   * stays responsive), then deletes the journals the snapshot covers.
   */
  async compact(): Promise<void> {
    if (this.readOnly || !this.journal) return;
    if (this.compacting) return this.compacting;
    this.compacting = (async () => {
      if (!this.journal!.bytes && !this.journal!.hasPending && !this.allShards().some((s) => s.dirty)) return;
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
      const dirty = this.allShards().filter((s) => s.dirty);
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
    for (const id of this.messages.pruneFinished(cutoffTime)) {
      this.journal?.add(JSON.stringify({ c: 'm', k: id, d: 1 }));
      this.eventIndex.forgetMessage(id);
    }
    this.eventIndex.pruneBefore(cutoffTime);
    await this.recipients.prune(cutoffTime, (key) => {
      this.eventIndex.forgetRecipient(key);
      this.journal?.add(JSON.stringify({ c: 'r', k: key, d: 1 }));
    });
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
