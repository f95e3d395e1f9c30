import { createReadStream, promises as fsp } from 'node:fs';
import { createInterface } from 'node:readline';
import type { WebhookEvent } from './types.js';

export interface OutboxEntry {
  seq: number;
  event: WebhookEvent;
}

/** One line of the outbox file: an event to send, or the acknowledgement that ends it. */
type Line = { seq: number; event: WebhookEvent } | { ack: number; outcome: 'delivered' | 'dropped' };

/** Rewrite the file once this many acknowledged records are dead weight in it. */
const COMPACT_AFTER = 5_000;

/**
 * One endpoint's durable queue: an append-only JSON-lines file of events and acknowledgements.
 * Whatever has no acknowledgement is sent again after a restart (at least once). Appends are
 * grouped per event-loop turn and synced once per group; acknowledgements are not synced (a lost
 * one only means a duplicate, which receivers drop by event id).
 */
export class Outbox {
  private fh: fsp.FileHandle | null = null;
  private nextSeq = 1;
  private buffered: Line[] = [];
  private chain: Promise<void> = Promise.resolve();
  private scheduled = false;
  private deadRecords = 0;
  private pendingCount = 0;
  private failed: Error | null = null;

  constructor(readonly file: string) {}

  /** Reads the file; returns the events not yet acknowledged, oldest first. */
  async open(): Promise<OutboxEntry[]> {
    const exists = await fsp.stat(this.file).then(() => true, () => false);
    const pending = exists ? await this.readPending() : [];
    this.nextSeq = (pending.at(-1)?.seq ?? 0) + 1;
    // Start from a file holding only what is pending: drops acknowledged records and torn lines.
    await this.rewrite(pending);
    this.pendingCount = pending.length;
    this.deadRecords = 0;
    return pending;
  }

  /** Queues the event for writing; returns its entry at once (the write completes with the group). */
  append(event: WebhookEvent): OutboxEntry {
    const entry = { seq: this.nextSeq++, event };
    this.buffered.push(entry);
    this.pendingCount++;
    this.schedule();
    return entry;
  }

  ack(seq: number, outcome: 'delivered' | 'dropped'): void {
    this.buffered.push({ ack: seq, outcome });
    this.pendingCount--;
    this.deadRecords += 2;
    this.schedule();
  }

  /** Resolves once everything appended so far is on disk. */
  async flush(): Promise<void> {
    this.scheduled = false;
    const lines = this.buffered;
    this.buffered = [];
    if (lines.length) this.chain = this.chain.then(() => this.write(lines));
    await this.chain;
    if (this.failed) throw this.failed;
  }

  async close(): Promise<void> {
    await this.flush().catch(() => undefined);
    await this.fh?.close();
    this.fh = null;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      if (this.scheduled) void this.flush().catch(() => undefined);
    });
  }

  private async write(lines: Line[]): Promise<void> {
    try {
      if (!this.fh) this.fh = await fsp.open(this.file, 'a');
      await this.fh.write(lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
      if (lines.some((l) => 'event' in l)) await this.fh.datasync();
      this.failed = null;
      if (this.deadRecords >= COMPACT_AFTER && this.deadRecords > 2 * this.pendingCount) await this.compactFromFile();
    } catch (err) {
      // Keep the lines for the next group rather than lose them (disk full, for one).
      this.buffered.unshift(...lines);
      this.failed = err as Error;
    }
  }

  private async compactFromFile(): Promise<void> {
    await this.fh?.close();
    this.fh = null;
    const pending = await this.readPending();
    await this.rewrite(pending);
    this.deadRecords = 0;
  }

  private async readPending(): Promise<OutboxEntry[]> {
    const open = new Map<number, WebhookEvent>();
    const rl = createInterface({ input: createReadStream(this.file), crlfDelay: Infinity });
    for await (const text of rl) {
      if (!text) continue;
      try {
        const line = JSON.parse(text) as Line;
        if ('ack' in line) open.delete(line.ack);
        else open.set(line.seq, line.event);
      } catch {
        // The last line of a crash: its event was never acknowledged, so nobody lost it.
      }
    }
    return [...open.entries()].sort((a, b) => a[0] - b[0]).map(([seq, event]) => ({ seq, event }));
  }

  /** Replaces the file with just these entries: temp file, sync, rename. */
  private async rewrite(entries: OutboxEntry[]): Promise<void> {
    const tmp = `${this.file}.tmp`;
    const h = await fsp.open(tmp, 'w');
    try {
      if (entries.length) await h.write(entries.map((e) => JSON.stringify({ seq: e.seq, event: e.event })).join('\n') + '\n');
      await h.datasync();
    } finally {
      await h.close();
    }
    await fsp.rename(tmp, this.file);
  }
}
