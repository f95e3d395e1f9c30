import { promises as fsp, openSync, fsyncSync, closeSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../util/logger.js';
import type { Envelope } from '../types.js';
import { GroupWriter } from '../durable/group-writer.js';
import {
  HEADER_BYTES, RecordType, decodeMessagePayload, encodeMessagePayload, encodeRecord, scanSegment,
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
}

interface Segment {
  id: number;
  file: string;
  live: Set<string>;
  bytes: number;
}

export interface SpoolOptions {
  dir: string;
  quarantineDir: string;
  segmentBytes: number;
  fsync: boolean;
  logger: Logger;
}

const SEGMENT_RE = /^seg-(\d{8})\.log$/;

function isEnvelope(v: unknown): v is Envelope {
  const e = v as Envelope;
  return !!e && typeof e.queueId === 'string' && typeof e.from === 'string' && Array.isArray(e.rcpts)
    && e.rcpts.every((r) => typeof r === 'string') && typeof e.receivedAt === 'number';
}

/**
 * The queue's source of truth: append-only segment files written with group commit.
 * A message is durable (data synced, new files' directory entries synced) before accept() resolves.
 * Recovery replays the segments; finished segments are deleted oldest-first, so a Done record is
 * never removed while the Message record it cancels still exists.
 */
export class Spool {
  private readonly index = new Map<string, Location>();
  private readonly segments = new Map<number, Segment>();
  private active: { seg: Segment; writer: GroupWriter } | null = null;
  private nextSegId = 1;
  private rotating: Promise<void> | null = null;

  constructor(private readonly opts: SpoolOptions) {}

  get size(): number {
    return this.index.size;
  }

  /** Scans the spool directory and returns every unfinished message. */
  async open(): Promise<SpooledMessage[]> {
    await fsp.mkdir(this.opts.dir, { recursive: true });
    const names = (await fsp.readdir(this.opts.dir)).filter((n) => SEGMENT_RE.test(n)).sort();
    for (const name of names) await this.recoverSegment(name);
    // Segments left with nothing live can go now.
    await this.reclaim();
    await this.startSegment();
    return [...this.index.values()].map((l) => ({ envelope: l.envelope, state: l.state }));
  }

  private async recoverSegment(name: string): Promise<void> {
    const id = Number(SEGMENT_RE.exec(name)![1]);
    this.nextSegId = Math.max(this.nextSegId, id + 1);
    const file = path.join(this.opts.dir, name);
    const buf = await fsp.readFile(file);
    const seg: Segment = { id, file, live: new Set(), bytes: buf.length };
    this.segments.set(id, seg);
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
        this.replay(seg, rec.type, rec.payload, rec.offset);
      } catch (err) {
        await this.quarantine(name, rec.payload, rec.offset, `unreadable record: ${(err as Error).message}`);
      }
    }
  }

  private replay(seg: Segment, type: RecordType, payload: Buffer, offset: number): void {
    if (type === RecordType.Message) {
      const { meta, rawStart } = decodeMessagePayload(payload);
      const m = meta as { envelope: unknown; state?: SpoolState };
      if (!isEnvelope(m.envelope)) throw new Error('envelope is missing fields');
      const prev = this.index.get(m.envelope.queueId);
      if (prev) this.segments.get(prev.seg)?.live.delete(m.envelope.queueId);
      const state = m.state ?? { done: [], attempts: {}, nextAttemptAt: 0 };
      this.index.set(m.envelope.queueId, {
        seg: seg.id,
        rawOffset: offset + HEADER_BYTES + rawStart,
        rawLength: payload.length - rawStart,
        recordBytes: HEADER_BYTES + payload.length,
        envelope: m.envelope,
        state,
      });
      seg.live.add(m.envelope.queueId);
      return;
    }
    const body = JSON.parse(payload.toString('utf8')) as { queueId?: unknown; state?: SpoolState };
    if (typeof body.queueId !== 'string') throw new Error('record has no queue id');
    const loc = this.index.get(body.queueId);
    if (!loc) return; // refers to a message finished or reclaimed earlier
    if (type === RecordType.State && body.state) loc.state = body.state;
    if (type === RecordType.Done) {
      this.index.delete(body.queueId);
      this.segments.get(loc.seg)?.live.delete(body.queueId);
    }
  }

  private async quarantine(segment: string, bytes: Buffer, offset: number, why: string): Promise<void> {
    await fsp.mkdir(this.opts.quarantineDir, { recursive: true });
    const file = path.join(this.opts.quarantineDir, `${segment}.at-${offset}.bin`);
    await fsp.writeFile(file, bytes);
    this.opts.logger.error({ segment, offset, bytes: bytes.length, why, quarantined: file },
      'spool: damaged record moved to quarantine; inspect it and re-submit the message if it can be recovered');
  }

  private async startSegment(): Promise<void> {
    const id = this.nextSegId++;
    const file = path.join(this.opts.dir, `seg-${String(id).padStart(8, '0')}.log`);
    const handle = await fsp.open(file, 'wx+');
    // A new file's directory entry must be durable too, or a crash could lose the whole segment.
    if (this.opts.fsync) this.syncDir();
    const seg: Segment = { id, file, live: new Set(), bytes: 0 };
    this.segments.set(id, seg);
    const previous = this.active;
    this.active = { seg, writer: new GroupWriter(handle, 0, this.opts.fsync) };
    if (previous) await previous.writer.close();
  }

  private syncDir(): void {
    const fd = openSync(this.opts.dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  private async write(type: RecordType, payload: Buffer): Promise<{ seg: number; offset: number }> {
    if (!this.active) throw new Error('spool is not open');
    while (this.rotating) await this.rotating;
    if (this.active.writer.bytes >= this.opts.segmentBytes) {
      this.rotating = this.startSegment().finally(() => (this.rotating = null));
      await this.rotating;
    }
    const { seg, writer } = this.active;
    const offset = await writer.append(encodeRecord(type, payload));
    seg.bytes = Math.max(seg.bytes, offset + HEADER_BYTES + payload.length);
    return { seg: seg.id, offset };
  }

  /** Stores a new message; resolves once it is durable, which is when submission may say 250. */
  async accept(envelope: Envelope, raw: Buffer, state?: SpoolState): Promise<void> {
    const st = state ?? { done: [], attempts: {}, nextAttemptAt: 0 };
    const payload = encodeMessagePayload({ envelope, state: st }, raw);
    const rawStart = payload.length - raw.length;
    const { seg, offset } = await this.write(RecordType.Message, payload);
    const prev = this.index.get(envelope.queueId);
    if (prev) this.segments.get(prev.seg)?.live.delete(envelope.queueId);
    this.index.set(envelope.queueId, {
      seg, rawOffset: offset + HEADER_BYTES + rawStart, rawLength: raw.length,
      recordBytes: HEADER_BYTES + payload.length, envelope, state: st,
    });
    this.segments.get(seg)?.live.add(envelope.queueId);
  }

  async saveState(queueId: string, state: SpoolState): Promise<void> {
    const loc = this.index.get(queueId);
    if (!loc) return;
    loc.state = state;
    await this.write(RecordType.State, Buffer.from(JSON.stringify({ queueId, state })));
  }

  /** Marks a message finished; its space is reclaimed later. */
  async complete(queueId: string): Promise<void> {
    const loc = this.index.get(queueId);
    if (!loc) return;
    this.index.delete(queueId);
    await this.write(RecordType.Done, Buffer.from(JSON.stringify({ queueId })));
    this.segments.get(loc.seg)?.live.delete(queueId);
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
   * Deletes finished segments oldest-first. When the oldest segment holds only a little live
   * data (a few long-deferred messages), those messages are copied forward so it can go.
   */
  async reclaim(): Promise<{ deleted: number; relocated: number }> {
    let deleted = 0;
    let relocated = 0;
    const ids = [...this.segments.keys()].sort((a, b) => a - b);
    for (const id of ids) {
      const seg = this.segments.get(id)!;
      if (this.active && id === this.active.seg.id) break;
      if (seg.live.size > 0) {
        let liveBytes = 0;
        for (const q of seg.live) liveBytes += this.index.get(q)?.recordBytes ?? 0;
        if (!this.active || liveBytes > seg.bytes / 4) break;
        for (const q of [...seg.live]) {
          if (await this.relocate(q)) relocated++;
        }
        if (seg.live.size > 0) break;
      }
      await fsp.rm(seg.file, { force: true });
      this.segments.delete(id);
      deleted++;
    }
    if (deleted && this.opts.fsync) this.syncDir();
    return { deleted, relocated };
  }

  /** Copies a live message into the active segment so its old segment can be deleted. */
  private async relocate(queueId: string): Promise<boolean> {
    const loc = this.index.get(queueId);
    if (!loc) return false;
    const raw = await this.readRaw(queueId);
    const payload = encodeMessagePayload({ envelope: loc.envelope, state: loc.state }, raw);
    const { seg, offset } = await this.write(RecordType.Message, payload);
    if (this.index.get(queueId) !== loc) {
      // Finished while we copied: cancel the copy too, or recovery would bring it back.
      await this.write(RecordType.Done, Buffer.from(JSON.stringify({ queueId })));
      return false;
    }
    this.segments.get(loc.seg)?.live.delete(queueId);
    loc.seg = seg;
    loc.rawOffset = offset + HEADER_BYTES + payload.length - raw.length;
    this.segments.get(seg)?.live.add(queueId);
    return true;
  }

  async close(): Promise<void> {
    if (this.active) await this.active.writer.close();
    this.active = null;
  }
}
