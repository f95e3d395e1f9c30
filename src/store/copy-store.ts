import type { MessageRecord, RecipientEvent, RecipientRecord } from '../types.js';
import type { AsyncStore } from './types.js';

export interface CopyReport {
  messages: number;
  recipients: number;
  events: number;
  /** Time of the oldest and newest event copied (null when there were none). */
  eventSpan: { from: number; to: number } | null;
}

/** Records per transaction: big enough that commits do not dominate, small enough to keep memory flat. */
const BATCH = 1_000;

/**
 * Copies everything one store holds into another: messages, recipients (flags, suppressions),
 * and the events of the retention window. Writes are upserts keyed by queue id, addressKey and
 * event id, so an interrupted copy can simply be run again. `progress` is told after each batch.
 */
export async function copyStore(from: AsyncStore, to: AsyncStore, progress?: (r: CopyReport) => void): Promise<CopyReport> {
  const report: CopyReport = { messages: 0, recipients: 0, events: 0, eventSpan: null };
  const inBatches = async <T>(items: AsyncIterable<T>, write: (batch: T[]) => Promise<void>, count: (n: number) => void) => {
    let batch: T[] = [];
    const flush = async () => {
      if (!batch.length) return;
      const b = batch;
      batch = [];
      await to.transaction(() => write(b));
      count(b.length);
      progress?.(report);
    };
    for await (const x of items) {
      batch.push(x);
      if (batch.length >= BATCH) await flush();
    }
    await flush();
  };
  await inBatches<MessageRecord>(from.scanMessages({}), async (b) => {
    for (const m of b) await to.putMessage(m);
  }, (n) => (report.messages += n));
  await inBatches<RecipientRecord>(from.scanRecipients({}), async (b) => {
    for (const r of b) await to.putRecipient(r);
  }, (n) => (report.recipients += n));
  await inBatches<RecipientEvent>(from.eventsSince(0), async (b) => {
    await to.appendEvents(b);
    report.eventSpan = { from: report.eventSpan?.from ?? b[0]!.time, to: b[b.length - 1]!.time };
  }, (n) => (report.events += n));
  await to.durable();
  return report;
}
