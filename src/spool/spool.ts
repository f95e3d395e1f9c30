import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../util/logger.js';
import { syncDir } from '../util/sync-dir.js';
import type { Envelope } from '../types.js';
import type { MessageQueue } from './message-queue.js';
import { GroupWriter } from '../durable/group-writer.js';
import { FILE_MODE, ensurePrivateDir } from '../durable/private-files.js';
import {
  FILE_HEADER_BYTES, HEADER_BYTES, RecordType, decodeMessagePayload, encodeFileHeader, encodeMessagePayload, encodeRecord,
  newMarker, scanSegment,
} from './record-format.js';

/** Delivery progress that must survive a restart. */
export interface SpoolState {
  /** Recipients whose fate is final (delivered, bounced, expired). */
  done: string[];
  /** Attempts made so far, per recipient. */
  attempts: Record<string, number>;
  nextAttemptAt: number;
}

export interface SpooledMessage {
  envelope: Envelope;
  state: SpoolState;
}

interface Location {
  seg: number;
  /** Offset and length of the raw message bytes inside the segment. */
  rawOffset: number;
  rawLength: number;
  /** Size of the whole Message record (for compaction decisions). */
  recordBytes: number;
  envelope: Envelope;
  state: SpoolState;
  /** Segment holding the latest State record written after the Message record, if any. */
  stateSeg: number | null;
}

interface Segment {
  id: number;
  file: string;
  bytes: number;
  /** No more writes will land in it (its writer is closed, or it was recovered). */
  sealed: boolean;
  /** Messages whose current Message record is here, and their record bytes. */
  live: Set<string>;
  liveBytes: number;
  /** Live messages whose latest State record is here. */
  states: Set<string>;
  /** Every Message record here, current or superseded (a Done elsewhere may still be needed to cancel it). */
  copies: string[];
  /** Done records here. */
  tombstones: string[];
}

export interface SpoolOptions {
  dir: string;
  quarantineDir: string;
  segmentBytes: number;
  fsync: boolean;
  logger: Logger;
  /** Makes the store's writes durable; settle() calls it before the spool's own state record. */
  storeDurable?: () => Promise<void>;
}

const SEGMENT_RE = /^seg-(\d{8})\.log$/;
/** Bytes of messages copied forward at once while cleaning (bounds memory, shares syncs). */
const RELOCATE_BATCH_BYTES = 8 << 20;

function isEnvelope(v: unknown): v is Envelope {
  const e = v as Envelope;
  return !!e && typeof e.queueId === 'string' && typeof e.from === 'string' && Array.isArray(e.rcpts)
    && e.rcpts.every((r) => typeof r === 'string') && typeof e.receivedAt === 'number';
}

/**
 * The queue's source of truth: append-only segment files written with group commit.
 * A message is durable (data synced, new files' directory entries synced) before accept() resolves.
 * Recovery replays the segments in order. Space comes back by cleaning: a segment that is at
 * most half live gets its live records (messages, latest states, Done records still cancelling
 * a copy elsewhere) copied into the active segment, and is deleted, so no old message pins the
 * segments after it and disk use follows the live data.
 */
export class Spool implements MessageQueue {
  readonly shared = false;
  private readonly index = new Map<string, Location>();
  private readonly segments = new Map<number, Segment>();
  /** How many Message records of each queue id are on disk. */
  private readonly copyCount = new Map<string, number>();
  private active: { seg: Segment; marker: Buffer; writer: GroupWriter } | null = null;
  private nextSegId = 1;
  private rotating: Promise<void> | null = null;
  private reclaiming: Promise<{ deleted: number; relocated: number }> | null = null;

  constructor(private readonly opts: SpoolOptions) {}

  get size(): number {
    return this.index.size;
  }

  /** Scans the spool directory and returns every unfinished message. */
  async open(): Promise<SpooledMessage[]> {
    await ensurePrivateDir(this.opts.dir);
    // On a first start the spool directory itself is new: its entry must survive a power cut too.
    if (this.opts.fsync) syncDir(path.dirname(this.opts.dir));
    const names = (await fsp.readdir(this.opts.dir)).filter((n) => SEGMENT_RE.test(n)).sort();
    for (const name of names) await this.recoverSegment(name);
    // No cleaning here: copying forward would delay start-up; the periodic reclaim() does it.
    await this.startSegment();
    return this.list();
  }

  private newSegment(id: number, file: string, bytes: number, sealed: boolean): Segment {
    const seg: Segment = { id, file, bytes, sealed, live: new Set(), liveBytes: 0, states: new Set(), copies: [], tombstones: [] };
    this.segments.set(id, seg);
    return seg;
  }

  private async recoverSegment(name: string): Promise<void> {
    const id = Number(SEGMENT_RE.exec(name)![1]);
    this.nextSegId = Math.max(this.nextSegId, id + 1);
    const file = path.join(this.opts.dir, name);
    // Files from before the mode was set; a file we may not chmod is still worth reading.
    await fsp.chmod(file, FILE_MODE).catch((err: Error) => this.opts.logger.warn({ segment: name, err: err.message }, 'spool: cannot make segment private (0600)'));
    const buf = await fsp.readFile(file);
    const seg = this.newSegment(id, file, buf.length, true);
    const scan = scanSegment(buf);
    for (const c of scan.corrupt) await this.quarantine(name, buf.subarray(c.start, c.end), c.start, c.why);
    if (scan.tornTailAt !== null) {
      // A write cut short by a crash was never acknowledged; drop it so the segment is clean.
      this.opts.logger.warn({ segment: name, offset: scan.tornTailAt, bytes: buf.length - scan.tornTailAt },
        'spool: dropping incomplete record at end of segment (interrupted write, never acknowledged)');
      await fsp.truncate(file, scan.tornTailAt);
      seg.bytes = scan.tornTailAt;
    }
    for (const rec of scan.records) {
      try {
        this.replay(seg, rec.type, rec.payload, rec.offset + rec.headerBytes, rec.headerBytes);
      } catch (err) {
        await this.quarantine(name, rec.payload, rec.offset, `unreadable record: ${(err as Error).message}`);
      }
    }
  }

  private replay(seg: Segment, type: RecordType, payload: Buffer, payloadOffset: number, headerBytes: number): void {
    if (type === RecordType.Message) {
      const { meta, rawStart } = decodeMessagePayload(payload);
      const m = meta as { envelope: unknown; state?: SpoolState };
      if (!isEnvelope(m.envelope)) throw new Error('envelope is missing fields');
      const state = m.state ?? { done: [], attempts: {}, nextAttemptAt: 0 };
      this.placed(seg.id, payloadOffset + rawStart, payload.length - rawStart, headerBytes + payload.length, m.envelope, state);
      return;
    }
    const body = JSON.parse(payload.toString('utf8')) as { queueId?: unknown; state?: SpoolState };
    if (typeof body.queueId !== 'string') throw new Error('record has no queue id');
    const loc = this.index.get(body.queueId);
    if (type === RecordType.State) {
      if (loc && body.state) {
        loc.state = body.state;
        this.stateAt(body.queueId, loc, seg.id);
      }
      return;
    }
    this.finished(body.queueId, loc, seg.id);
  }

  // Bookkeeping shared by replay and the live paths, so both build the same picture.

  /** A Message record for this message now sits in `seg`: it becomes the current copy. */
  private placed(seg: number, rawOffset: number, rawLength: number, recordBytes: number, envelope: Envelope, state: SpoolState): void {
    const q = envelope.queueId;
    // Updated in place: a write in flight for this message checks it still holds the same entry.
    const loc = this.index.get(q);
    if (loc) {
      this.detach(q, loc);
      Object.assign(loc, { seg, rawOffset, rawLength, recordBytes, envelope, state });
    } else {
      this.index.set(q, { seg, rawOffset, rawLength, recordBytes, envelope, state, stateSeg: null });
    }
    const s = this.segments.get(seg)!;
    s.live.add(q);
    s.liveBytes += recordBytes;
    this.copied(seg, q);
  }

  private copied(seg: number, queueId: string): void {
    this.segments.get(seg)?.copies.push(queueId);
    this.copyCount.set(queueId, (this.copyCount.get(queueId) ?? 0) + 1);
  }

  /** The message's latest State record now sits in `seg`. */
  private stateAt(queueId: string, loc: Location, seg: number): void {
    if (loc.stateSeg !== null) this.segments.get(loc.stateSeg)?.states.delete(queueId);
    loc.stateSeg = seg;
    this.segments.get(seg)?.states.add(queueId);
  }

  /** A Done record for this message now sits in `seg`. */
  private finished(queueId: string, loc: Location | undefined, seg: number): void {
    // Needed only while some Message record of it is still on disk.
    if (this.copyCount.has(queueId)) this.segments.get(seg)?.tombstones.push(queueId);
    if (loc && this.index.get(queueId) === loc) this.index.delete(queueId);
    if (loc) this.detach(queueId, loc);
  }

  private detach(queueId: string, loc: Location): void {
    const s = this.segments.get(loc.seg);
    if (s?.live.delete(queueId)) s.liveBytes -= loc.recordBytes;
    if (loc.stateSeg !== null) this.segments.get(loc.stateSeg)?.states.delete(queueId);
    loc.stateSeg = null;
  }

  private async quarantine(segment: string, bytes: Buffer, offset: number, why: string): Promise<void> {
    await ensurePrivateDir(this.opts.quarantineDir);
    const file = path.join(this.opts.quarantineDir, `${segment}.at-${offset}.bin`);
    await fsp.writeFile(file, bytes, { mode: FILE_MODE });
    this.opts.logger.error({ segment, offset, bytes: bytes.length, why, quarantined: file },
      'spool: damaged record moved to quarantine; inspect it and re-submit the message if it can be recovered');
  }

  private async startSegment(): Promise<void> {
    const id = this.nextSegId++;
    const file = path.join(this.opts.dir, `seg-${String(id).padStart(8, '0')}.log`);
    const handle = await fsp.open(file, 'wx+', FILE_MODE);
    const marker = newMarker();
    const header = encodeFileHeader(marker);
    try {
      // Synced together with the segment's first batch of records.
      await handle.write(header, 0, header.length, 0);
    } catch (err) {
      await handle.close();
      await fsp.rm(file, { force: true });
      throw err;
    }
    // A new file's directory entry must be durable too, or a crash could lose the whole segment.
    if (this.opts.fsync) syncDir(this.opts.dir);
    const seg = this.newSegment(id, file, FILE_HEADER_BYTES, false);
    const previous = this.active;
    this.active = { seg, marker, writer: new GroupWriter(handle, FILE_HEADER_BYTES, this.opts.fsync) };
    if (previous) {
      await previous.writer.close();
      previous.seg.sealed = true;
    }
  }

  private async write(type: RecordType, payload: Buffer): Promise<{ seg: number; offset: number }> {
    if (!this.active) throw new Error('spool is not open');
    while (this.rotating) await this.rotating;
    if (this.active.writer.bytes >= this.opts.segmentBytes) {
      this.rotating = this.startSegment().finally(() => (this.rotating = null));
      await this.rotating;
    }
    const { seg, marker, writer } = this.active;
    const offset = await writer.append(encodeRecord(marker, type, payload));
    seg.bytes = Math.max(seg.bytes, offset + HEADER_BYTES + payload.length);
    return { seg: seg.id, offset };
  }

  /** Stores a new message; resolves once it is durable, which is when submission may say 250. */
  async accept(envelope: Envelope, raw: Buffer, state?: SpoolState): Promise<void> {
    const st = state ?? { done: [], attempts: {}, nextAttemptAt: 0 };
    const payload = encodeMessagePayload({ envelope, state: st }, raw);
    const { seg, offset } = await this.write(RecordType.Message, payload);
    this.placed(seg, offset + HEADER_BYTES + payload.length - raw.length, raw.length, HEADER_BYTES + payload.length, envelope, st);
  }

  async saveState(queueId: string, state: SpoolState): Promise<void> {
    const loc = this.index.get(queueId);
    if (!loc) return;
    loc.state = state;
    const { seg } = await this.write(RecordType.State, Buffer.from(JSON.stringify({ queueId, state })));
    if (this.index.get(queueId) === loc) this.stateAt(queueId, loc, seg);
  }

  /** Marks a message finished; its space is reclaimed later. */
  async complete(queueId: string): Promise<void> {
    const loc = this.index.get(queueId);
    if (!loc) return;
    this.index.delete(queueId);
    const { seg } = await this.write(RecordType.Done, Buffer.from(JSON.stringify({ queueId })));
    this.finished(queueId, loc, seg);
  }

  /** One node owns the whole spool: nothing to claim. */
  async claim(): Promise<SpooledMessage[]> {
    return [];
  }

  /** The engine schedules every spooled message itself; nothing waits outside it. */
  async makeDue(): Promise<number> {
    return 0;
  }

  async take(queueId: string): Promise<SpooledMessage | undefined> {
    return this.get(queueId);
  }

  async listAll(): Promise<SpooledMessage[]> {
    return this.list();
  }

  async settle(queueId: string, next: SpoolState | 'done', record: () => Promise<void>): Promise<boolean> {
    await record();
    // The store first, then the spool: after a crash the spool may repeat work, never skip it.
    await this.opts.storeDurable?.();
    if (next === 'done') await this.complete(queueId);
    else await this.saveState(queueId, next);
    return true;
  }

  has(queueId: string): boolean {
    return this.index.has(queueId);
  }

  get(queueId: string): SpooledMessage | undefined {
    const loc = this.index.get(queueId);
    return loc ? { envelope: loc.envelope, state: loc.state } : undefined;
  }

  list(): SpooledMessage[] {
    return [...this.index.values()].map((l) => ({ envelope: l.envelope, state: l.state }));
  }

  async readRaw(queueId: string): Promise<Buffer> {
    const loc = this.index.get(queueId);
    if (!loc) throw new Error(`message ${queueId} is not in the spool`);
    const seg = this.segments.get(loc.seg)!;
    const handle = await fsp.open(seg.file, 'r');
    try {
      const buf = Buffer.allocUnsafe(loc.rawLength);
      let read = 0;
      while (read < loc.rawLength) {
        const { bytesRead } = await handle.read(buf, read, loc.rawLength - read, loc.rawOffset + read);
        if (bytesRead === 0) throw new Error(`spool segment ${seg.file} ends early`);
        read += bytesRead;
      }
      return buf;
    } finally {
      await handle.close();
    }
  }

  /**
   * Cleans every segment but the active one that is at most half live: what is still live in
   * it is copied forward, then it is deleted. The copying costs at most the space it frees, and
   * a segment kept is more than half live, so the spool holds under twice the live data plus
   * the active segment.
   */
  reclaim(): Promise<{ deleted: number; relocated: number }> {
    this.reclaiming ??= this.clean().finally(() => (this.reclaiming = null));
    return this.reclaiming;
  }

  private async clean(): Promise<{ deleted: number; relocated: number }> {
    const gone: Segment[] = [];
    let relocated = 0;
    for (const seg of [...this.segments.values()].sort((a, b) => a.id - b.id)) {
      if (!this.active || !seg.sealed || seg.liveBytes > (seg.bytes - FILE_HEADER_BYTES) / 2) continue;
      relocated += await this.relocateAll([...seg.live]);
      // Latest states of messages stored elsewhere, and Done records still cancelling a copy in
      // another segment: small records, copied as they are.
      await Promise.all([...seg.states].map((q) => {
        const loc = this.index.get(q);
        return loc ? this.saveState(q, loc.state) : undefined;
      }));
      const here = new Map<string, number>();
      for (const q of seg.copies) here.set(q, (here.get(q) ?? 0) + 1);
      await Promise.all(seg.tombstones.filter((q) => (this.copyCount.get(q) ?? 0) > (here.get(q) ?? 0)).map(async (q) => {
        const at = await this.write(RecordType.Done, Buffer.from(JSON.stringify({ queueId: q })));
        this.finished(q, undefined, at.seg);
      }));
      if (seg.live.size > 0 || seg.states.size > 0) continue; // changing right now: next time
      await fsp.rm(seg.file, { force: true });
      this.segments.delete(seg.id);
      gone.push(seg);
    }
    if (gone.length === 0) return { deleted: 0, relocated };
    if (this.opts.fsync) syncDir(this.opts.dir);
    // Only once the deletions are durable may Done records cancelling those copies be dropped.
    for (const seg of gone) {
      for (const q of seg.copies) {
        const n = (this.copyCount.get(q) ?? 1) - 1;
        if (n > 0) this.copyCount.set(q, n);
        else this.copyCount.delete(q);
      }
    }
    return { deleted: gone.length, relocated };
  }

  private async relocateAll(ids: string[]): Promise<number> {
    let moved = 0;
    for (let i = 0; i < ids.length; ) {
      const batch: string[] = [];
      for (let bytes = 0; i < ids.length && bytes < RELOCATE_BATCH_BYTES; i++) {
        batch.push(ids[i]!);
        bytes += this.index.get(ids[i]!)?.rawLength ?? 0;
      }
      const done = await Promise.all(batch.map((q) => this.relocate(q)));
      moved += done.filter(Boolean).length;
    }
    return moved;
  }

  /** Copies a live message, with its current state, into the active segment. */
  private async relocate(queueId: string): Promise<boolean> {
    const loc = this.index.get(queueId);
    if (!loc) return false;
    const raw = await this.readRaw(queueId);
    if (this.index.get(queueId) !== loc) return false;
    const payload = encodeMessagePayload({ envelope: loc.envelope, state: loc.state }, raw);
    const { seg, offset } = await this.write(RecordType.Message, payload);
    if (this.index.get(queueId) !== loc) {
      // Finished while we copied: cancel the copy too, or recovery would bring it back.
      this.copied(seg, queueId);
      const at = await this.write(RecordType.Done, Buffer.from(JSON.stringify({ queueId })));
      this.finished(queueId, undefined, at.seg);
      return false;
    }
    this.placed(seg, offset + HEADER_BYTES + payload.length - raw.length, raw.length, HEADER_BYTES + payload.length, loc.envelope, loc.state);
    return true;
  }

  async close(): Promise<void> {
    await this.reclaiming?.catch(() => undefined);
    if (this.active) await this.active.writer.close();
    this.active = null;
  }
}
