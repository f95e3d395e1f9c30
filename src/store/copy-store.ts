import type { MessageRecord, RecipientEvent, RecipientRecord } from '../types.js';
import type { AsyncStore } from './types.js';

/**
 * Where a copy writes. Each add writes the records the target does not hold yet and leaves the
 * ones it holds as they are (the target may have moved on since an earlier copy: a message
 * delivered, a flag cleared, a suppression lifted), and says which of the given ones were new.
 */
export interface CopyTarget {
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  addMessages(ms: MessageRecord[]): Promise<boolean[]>;
  /** Keyed by addressKey(): a record present under another spelling counts as present. */
  addRecipients(rs: RecipientRecord[]): Promise<boolean[]>;
  addEvents(es: RecipientEvent[]): Promise<boolean[]>;
  durable(): Promise<void>;
}

/** How many the source held, and how many of them the target did not have yet (present = read - added). */
export interface CopyCount {
  read: number;
  added: number;
}

export interface CopyReport {
  messages: CopyCount;
  recipients: CopyCount;
  /** Recipients flagged invalid / suppressed (counted among `recipients`). */
  flagged: CopyCount;
  suppressed: CopyCount;
  events: CopyCount;
  /** Time of the oldest and newest event read (null when there were none). */
  eventSpan: { from: number; to: number } | null;
}

/** Records per transaction: big enough that commits do not dominate, small enough to keep memory flat. */
const BATCH = 1_000;

const none = (): CopyCount => ({ read: 0, added: 0 });

/**
 * Copies everything one store holds into another: messages, recipients (flags, suppressions),
 * and the events the source still keeps, each batch in one transaction. What the target holds
 * already is left alone, so an interrupted copy can simply be run again, and a second run adds
 * nothing. `progress` is told after each batch.
 */
export async function copyStore(from: AsyncStore, to: CopyTarget, progress?: (r: CopyReport) => void): Promise<CopyReport> {
  const report: CopyReport = { messages: none(), recipients: none(), flagged: none(), suppressed: none(), events: none(), eventSpan: null };
  const inBatches = async <T>(items: AsyncIterable<T>, write: (batch: T[]) => Promise<boolean[]>, count: (x: T, added: boolean) => void) => {
    let batch: T[] = [];
    const flush = async () => {
      if (!batch.length) return;
      const b = batch;
      batch = [];
      const added = await to.transaction(() => write(b));
      b.forEach((x, i) => count(x, added[i]!));
      progress?.(report);
    };
    for await (const x of items) {
      batch.push(x);
      if (batch.length >= BATCH) await flush();
    }
    await flush();
  };
  const tally = (c: CopyCount, added: boolean) => {
    c.read++;
    if (added) c.added++;
  };
  await inBatches<MessageRecord>(from.scanMessages({}), (b) => to.addMessages(b), (_, added) => tally(report.messages, added));
  await inBatches<RecipientRecord>(from.scanRecipients({}), (b) => to.addRecipients(b), (r, added) => {
    tally(report.recipients, added);
    if (r.invalid) tally(report.flagged, added);
    if (r.suppressed) tally(report.suppressed, added);
  });
  await inBatches<RecipientEvent>(from.eventsSince(0), (b) => to.addEvents(b), (e, added) => {
    tally(report.events, added);
    report.eventSpan = { from: Math.min(report.eventSpan?.from ?? e.time, e.time), to: Math.max(report.eventSpan?.to ?? e.time, e.time) };
  });
  await to.durable();
  return report;
}
