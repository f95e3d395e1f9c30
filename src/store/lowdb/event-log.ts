import { createReadStream, promises as fsp, readdirSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { GroupWriter } from '../../durable/group-writer.js';
import { READ_WRITE_CREATE, ensurePrivateDir, openPrivate } from '../../durable/private-files.js';
import type { RecipientEvent } from '../../types.js';

export function dayOf(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}

const DAY_FILE = /^(\d{4}-\d{2}-\d{2})\.jsonl$/;
const TAIL_BYTES = 1024 * 1024;

/**
 * Cuts a line torn by a crash off the end of a day file before appending to it (else the next
 * event would be glued to it and lost too); returns the size after.
 */
async function wholeLines(h: fsp.FileHandle): Promise<number> {
  const { size } = await h.stat();
  if (size === 0) return 0;
  const tail = Buffer.alloc(Math.min(size, TAIL_BYTES));
  await h.read(tail, 0, tail.length, size - tail.length);
  if (tail[tail.length - 1] === 0x0a) return size;
  const nl = tail.lastIndexOf(0x0a);
  const keep = nl === -1 ? size - tail.length : size - tail.length + nl + 1;
  await h.truncate(keep);
  return keep;
}

/**
 * The event history: append-only, one JSON-lines file per day (retention deletes whole days),
 * written through the shared group writer without a sync per batch (events are history; the
 * journal holds what decides the fate of mail) and synced on the timed flush and at close.
 */
export class EventLog {
  private pending: RecipientEvent[] = [];
  private inflight: Promise<void> | null = null;
  private open: { day: string; writer: GroupWriter } | null = null;
  private unsynced = false;

  constructor(readonly dir: string) {}

  async prepare(): Promise<void> {
    await ensurePrivateDir(this.dir);
  }

  /** Day files, oldest first. */
  async days(): Promise<string[]> {
    const names = await fsp.readdir(this.dir).catch(() => [] as string[]);
    return names.filter((n) => DAY_FILE.test(n)).map((n) => n.slice(0, 10)).sort();
  }

  private daysNow(): string[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    return names.filter((n) => DAY_FILE.test(n)).map((n) => n.slice(0, 10)).sort();
  }

  private file(day: string): string {
    return path.join(this.dir, `${day}.jsonl`);
  }

  /** Reads one day file up to `end` bytes; lines torn by a crash are counted, not thrown. */
  async *readDay(day: string, end?: number): AsyncGenerator<RecipientEvent, void, undefined> {
    for await (const line of this.readDayLines(day, end)) {
      const e = this.parse(line);
      if (e) yield e;
    }
  }

  /** The non-empty lines of a day file, unparsed (start-up skims the old ones, see LowdbStore.loadEvents). */
  async *readDayLines(day: string, end?: number): AsyncGenerator<string, void, undefined> {
    if (end === 0) return;
    const input = createReadStream(this.file(day), end === undefined ? {} : { end: end - 1 });
    const rl = createInterface({ input, crlfDelay: Infinity });
    for await (const line of rl) if (line) yield line;
  }

  /** One line as an event, or undefined (counted in `skipped`) when it is torn. */
  parse(line: string): RecipientEvent | undefined {
    try {
      return JSON.parse(line) as RecipientEvent;
    } catch {
      this.skipped++;
      return undefined;
    }
  }

  /** Lines in a day file (counted, not parsed: start-up uses it to parse only what it keeps). */
  async countLines(day: string): Promise<number> {
    let n = 0;
    try {
      for await (const chunk of createReadStream(this.file(day))) {
        const buf = chunk as Buffer;
        for (let i = buf.indexOf(0x0a); i !== -1; i = buf.indexOf(0x0a, i + 1)) n++;
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return n;
  }

  /** Unreadable lines met by readDay (a line torn by a crash). */
  skipped = 0;

  add(e: RecipientEvent): void {
    this.pending.push(e);
  }

  /** Events added but not written yet (the newest ones). */
  get pendingCount(): number {
    return this.pending.length;
  }

  /**
   * Every event with `time >= since` as of the call, from the files and from what is not written
   * yet: the sizes are taken at the start, so events added meanwhile are neither doubled nor half-read.
   */
  async *since(since: number): AsyncGenerator<RecipientEvent, void, undefined> {
    const first = dayOf(since);
    while (this.writing) await this.drain();
    // Then synchronously, so no write lands between the listing, the sizes and the copy of what is pending.
    const days = this.daysNow().filter((d) => d >= first);
    const sizes = days.map((d) => {
      try {
        return statSync(this.file(d)).size;
      } catch {
        return 0;
      }
    });
    const unwritten = [...this.pending];
    for (let i = 0; i < days.length; i++) {
      for await (const e of this.readDay(days[i]!, sizes[i]!)) if (e.time >= since) yield e;
    }
    for (const e of unwritten) if (e.time >= since) yield e;
  }

  /**
   * Writes the pending events to their days' files. On failure the events not written stay
   * pending, in order, and the error is thrown. `sync` also syncs the open file.
   */
  async write(sync: boolean): Promise<void> {
    while (this.writing) await this.drain();
    this.inflight = this.writePending(sync).finally(() => {
      this.inflight = null;
    });
    await this.inflight;
  }

  /** Waits for the write in flight; callers check `writing` again after it (another may have started). */
  private async drain(): Promise<void> {
    while (this.inflight) await this.inflight.catch(() => undefined);
  }

  private get writing(): boolean {
    return this.inflight !== null;
  }

  private async writePending(sync: boolean): Promise<void> {
    const events = this.pending;
    this.pending = [];
    let done = 0;
    try {
      while (done < events.length) {
        // A run of events of the same day goes out as one append.
        const day = dayOf(events[done]!.time);
        let end = done + 1;
        while (end < events.length && dayOf(events[end]!.time) === day) end++;
        const lines = events.slice(done, end).map((e) => JSON.stringify(e)).join('\n') + '\n';
        const writer = await this.writerFor(day);
        await writer.append(Buffer.from(lines));
        this.unsynced = true;
        done = end;
      }
      if (sync && this.unsynced && this.open) {
        this.unsynced = false;
        await this.open.writer.datasync();
      }
    } catch (err) {
      this.pending.unshift(...events.slice(done));
      throw err;
    }
  }

  private async writerFor(day: string): Promise<GroupWriter> {
    if (this.open?.day === day) return this.open.writer;
    const prev = this.open;
    const h = await openPrivate(this.file(day), READ_WRITE_CREATE);
    let size: number;
    try {
      size = await wholeLines(h);
    } catch (err) {
      await h.close();
      throw err;
    }
    this.open = { day, writer: new GroupWriter(h, size, false) };
    if (prev) {
      await prev.writer.datasync().catch(() => undefined);
      await prev.writer.close();
    }
    return this.open.writer;
  }

  /** Deletes the day files older than `cutoffDay`. */
  async prune(cutoffDay: string): Promise<void> {
    for (const d of await this.days()) if (d < cutoffDay && d !== this.open?.day) await fsp.rm(this.file(d), { force: true });
  }

  async close(): Promise<void> {
    await this.write(true).catch(() => undefined);
    if (this.open) await this.open.writer.close();
    this.open = null;
  }
}
