import type { RecipientEvent } from '../../types.js';
import { addressKey } from '../../util/address-key.js';
import type { EventLog } from './event-log.js';
import { type SkimmedEvent, skimEvent } from './event-skim.js';

export const PER_RECIPIENT_EVENTS = 100;
const PER_MESSAGE_EVENTS = 10_000;
const RECENT_EVENTS = 50_000;
/**
 * The working set of the per-recipient and per-message event lists: the newest this many events
 * (about 0.8 KB each as parsed back from a day file), whatever the retention holds; older ones
 * stay in the day files. A flagged recipient's list and a queued message's list keep theirs
 * (reconcile and the retry view need them; each list is capped on its own).
 */
export const INDEXED_EVENTS = 100_000;

/** The recipients (addressKey) an event is about. */
function rcptKeys(e: RecipientEvent): string[] {
  if (e.type === 'integration') return [...new Set(e.rcpts.map(addressKey))];
  return 'rcpt' in e && e.rcpt ? [addressKey(e.rcpt)] : [];
}

/** What the event lists ask of the other indexes: which lists keep their old events. */
export interface KeepsOwnEvents {
  isFlagged(key: string): boolean;
  isQueued(queueId: string): boolean;
}

/**
 * The events held in memory: per-recipient and per-message lists over a bounded working set (the
 * newest `indexedEvents`, plus what flagged recipients and queued messages keep), and the newest
 * events in append order for windows that reach no further back. The day files hold the rest.
 */
export class EventIndex {
  private readonly byRcpt = new Map<string, RecipientEvent[]>();
  private readonly byQueue = new Map<string, RecipientEvent[]>();
  /** The newest events, in the order they were appended; older ones are read from the event log. */
  private recent: RecipientEvent[] = [];
  /** Every event in the lists, oldest first from `indexedHead`. */
  private indexed: Array<RecipientEvent | undefined> = [];
  private indexedHead = 0;
  /** Newest time of an event dropped from `recent` to bound memory: windows reaching it read the log. */
  private droppedUpTo = -Infinity;

  constructor(
    private readonly keeps: KeepsOwnEvents,
    private readonly indexedEvents = INDEXED_EVENTS,
  ) {}

  /**
   * Reads the retention's events (days from `firstDay`). Only the newest ones (the working set,
   * and `recent`) are indexed; an older one is kept only when it belongs to a flagged recipient's
   * or a queued message's list, the rest is dropped at once (so it dies young instead of passing
   * through the old generation: a million events read back cost 1.3 GB of RSS that way).
   */
  async load(log: EventLog, firstDay: string): Promise<void> {
    const days = (await log.days()).filter((d) => d >= firstDay);
    let total = 0;
    for (const day of days) total += await log.countLines(day);
    const listsFrom = total - this.indexedEvents;
    const recentFrom = total - RECENT_EVENTS;
    let n = 0;
    for (const day of days) {
      for await (const line of log.readDayLines(day)) {
        const i = n++;
        if (i < listsFrom) {
          // Old: most lines are only skimmed; a line that may belong to a list that keeps its events is parsed.
          const skim = skimEvent(line);
          if (skim && !this.mayKeepOld(skim)) {
            this.droppedUpTo = Math.max(this.droppedUpTo, skim.time);
            continue;
          }
        }
        const e = log.parse(line);
        if (!e) continue;
        this.addToLists(e, i < listsFrom);
        if (i >= recentFrom) this.addToRecent(e, 0);
        else this.droppedUpTo = Math.max(this.droppedUpTo, e.time);
      }
    }
  }

  private mayKeepOld(e: SkimmedEvent): boolean {
    return (e.rcpt !== null && this.keeps.isFlagged(addressKey(e.rcpt))) || (e.queueId !== null && this.keeps.isQueued(e.queueId));
  }

  /** `unwritten`: how many of the newest events are not in the event log yet (never dropped from memory). */
  add(e: RecipientEvent, unwritten: number): void {
    this.addToLists(e, false);
    this.addToRecent(e, unwritten);
  }

  /** The recipient's list (the index's own array: callers copy what leaves the store). */
  forRecipient(key: string): readonly RecipientEvent[] {
    return this.byRcpt.get(key) ?? [];
  }

  forMessage(queueId: string): RecipientEvent[] {
    return this.byQueue.get(queueId) ?? [];
  }

  /** The window's events from memory (a copy of the list), or null when it reaches past what memory holds. */
  window(since: number): RecipientEvent[] | null {
    if (since <= this.droppedUpTo) return null;
    return this.recent.filter((e) => e.time >= since);
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
    for (const key of rcptKeys(e)) if (!protectedOnly || this.keeps.isFlagged(key)) push(this.byRcpt, key, PER_RECIPIENT_EVENTS);
    if ('queueId' in e && e.queueId && (!protectedOnly || this.keeps.isQueued(e.queueId))) push(this.byQueue, e.queueId, PER_MESSAGE_EVENTS);
    if (protectedOnly) return;
    this.indexed.push(e);
    if (this.indexed.length - this.indexedHead > this.indexedEvents) this.unindexOldest();
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
    for (const key of rcptKeys(e)) if (!this.keeps.isFlagged(key)) unlink(this.byRcpt, key);
    if ('queueId' in e && e.queueId && !this.keeps.isQueued(e.queueId)) unlink(this.byQueue, e.queueId);
  }

  /** Drops what lies before the retention `cutoff` from the window in memory. */
  pruneBefore(cutoff: number): void {
    this.recent = this.recent.filter((e) => e.time >= cutoff);
  }

  forgetMessage(queueId: string): void {
    this.byQueue.delete(queueId);
  }

  forgetRecipient(key: string): void {
    this.byRcpt.delete(key);
  }
}
