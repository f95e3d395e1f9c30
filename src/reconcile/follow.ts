// The running server's follower: tails delivery logs like `tail -F` and reconciles as lines
// arrive. Rotation-safe: a new inode at the path (rename rotation) means the old file is read to
// its end and the new one from its start; a file that shrank (copytruncate) is read again from 0.
import { open, stat, type FileHandle } from 'node:fs/promises';
import type { Store } from '../store/index.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { detectFormat, DETECT_LINES } from './detect.js';
import { FailureIndex } from './failure-index.js';
import { MAX_LINE_CHARS } from './line-source.js';
import { Matcher, type MatchCounters, type ReconcileMatch } from './match.js';
import { READER_FACTORIES } from './read-log.js';
import { REBOUND_ID_PATTERN } from './run.js';
import type { LineReader, LogEvidence, LogFormat } from './types.js';

export interface FollowOptions {
  /** Force a format instead of detecting it from each file's first lines. */
  format?: LogFormat;
  /** How often files are checked for new lines. Default 1,000 ms. */
  pollMs?: number;
  /**
   * How often the failure index is rebuilt. New failures are found between rebuilds through the
   * store (by Message-ID or queue id); only the upstream-queue-id relation waits for a rebuild. Default 5 min.
   */
  reindexMs?: number;
  /** Where to begin in a file seen for the first time: 'start' re-reads it (reconciling is idempotent), 'end' only follows new lines. Default 'start'. */
  startAt?: 'start' | 'end';
  utcOffsetMinutes?: number;
  /** Relays that pass mail on for us (reconcile.relays). */
  relays?: readonly string[];
  /** Clock-skew allowance between the logs' hosts and ours. */
  skewMs?: number;
  logger: Logger;
  clock?: Clock;
  onMatch?: (m: ReconcileMatch) => void;
}

export interface FollowedFileStats {
  file: string;
  format: LogFormat | null;
  lines: number;
  records: number;
  malformed: number;
  /** Renames and truncations seen. */
  rotations: number;
}

const CHUNK = 1 << 20;

/** One followed path: the open file, where we are in it, and the reader's joining state. */
class Tail {
  fh: FileHandle | null = null;
  ino = -1;
  offset = 0;
  lineNo = 0;
  private partial = '';
  private reader: LineReader | undefined;
  private held: string[] | undefined = [];
  private seen = false;
  readonly stats: FollowedFileStats;

  constructor(
    readonly file: string,
    private readonly opts: FollowOptions,
    private readonly onEvidence: (ev: LogEvidence) => Promise<void>,
  ) {
    this.stats = { file, format: opts.format ?? null, lines: 0, records: 0, malformed: 0, rotations: 0 };
  }

  async poll(): Promise<void> {
    const st = await stat(this.file).catch(() => null);
    if (this.fh && (!st || st.ino !== this.ino)) {
      if (!st) return; // renamed away and not recreated yet: keep the old file, wait for the new one
      await this.readToEnd(); // lines written to the old file before the writer reopened
      await this.close();
      this.stats.rotations++;
      this.endOfFile();
      await this.drain();
    }
    if (!st) {
      this.seen = true; // a file that appears later is new: read it from its start
      return;
    }
    if (!this.fh) {
      this.fh = await open(this.file, 'r');
      this.ino = st.ino;
      this.offset = !this.seen && this.opts.startAt === 'end' ? st.size : 0;
      this.lineNo = 0;
      this.seen = true;
      this.reader?.setFile(this.file);
    } else if (st.size < this.offset) {
      this.stats.rotations++; // truncated in place (copytruncate)
      this.offset = 0;
      this.lineNo = 0;
      this.partial = '';
    }
    await this.readToEnd();
  }

  private async readToEnd(): Promise<void> {
    if (!this.fh) return;
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const { bytesRead } = await this.fh.read(buf, 0, CHUNK, this.offset);
      if (bytesRead === 0) return;
      this.offset += bytesRead;
      // Cut at the last newline so a multi-byte character is never split.
      const chunk = buf.subarray(0, bytesRead);
      const nl = chunk.lastIndexOf(0x0a);
      if (nl < 0) {
        this.partial += chunk.toString('utf8');
        if (this.partial.length > MAX_LINE_CHARS) this.dropPartial();
        continue;
      }
      const text = this.partial + chunk.subarray(0, nl).toString('utf8');
      this.partial = chunk.subarray(nl + 1).toString('utf8');
      this.lines(text.split('\n'));
      await this.drain();
    }
  }

  /** Hands the records read so far to the matcher, in order, each after the one before it. */
  private async drain(): Promise<void> {
    while (this.read.length) {
      const batch = this.read;
      this.read = [];
      for (const ev of batch) await this.onEvidence(ev);
    }
  }

  /** The file ended for good (rotated away): its last line had no newline but is complete. */
  private endOfFile(): void {
    if (this.partial) this.lines([this.partial]);
    this.partial = '';
    this.reader?.flush?.(this.emit, this.malformed);
  }

  private dropPartial(): void {
    this.malformed(this.lineNo + 1, this.partial.slice(0, 200));
    this.partial = '';
  }

  private lines(lines: string[]): void {
    for (let text of lines) {
      if (text.charCodeAt(text.length - 1) === 13) text = text.slice(0, -1);
      this.lineNo++;
      this.stats.lines++;
      if (!this.reader && !this.startReader(text)) continue;
      if (text.length > 0 && this.reader!.readLine(text, this.lineNo, this.emit, this.malformed) === 'malformed') this.malformed(this.lineNo, text);
    }
  }

  /** Holds lines until the format is known; then replays them. */
  private startReader(text: string): boolean {
    this.held!.push(text);
    const format = this.opts.format ?? detectFormat(this.held!);
    if (!format) {
      if (this.held!.length >= DETECT_LINES * 4) this.held!.shift(); // bounded while nothing looks like a log
      return false;
    }
    this.stats.format = format;
    this.reader = READER_FACTORIES[format]({
      file: this.file, referenceDate: new Date((this.opts.clock ?? { now: Date.now }).now()), utcOffsetMinutes: this.opts.utcOffsetMinutes,
      reboundIdPattern: REBOUND_ID_PATTERN,
    });
    const held = this.held!;
    this.held = undefined;
    const base = this.lineNo - held.length;
    for (let i = 0; i < held.length - 1; i++) {
      const t = held[i]!;
      if (t.length > 0 && this.reader.readLine(t, base + i + 1, this.emit, this.malformed) === 'malformed') this.malformed(base + i + 1, t);
    }
    return true; // the caller feeds the current line
  }

  /** Records the readers found, waiting for drain() (readers are synchronous, the matcher may look things up). */
  private read: LogEvidence[] = [];

  private readonly emit = (ev: LogEvidence): void => {
    this.stats.records++;
    this.read.push(ev);
  };

  private readonly malformed = (_line: number, _text: string): void => {
    this.stats.malformed++;
  };

  async close(): Promise<void> {
    const fh = this.fh;
    this.fh = null;
    await fh?.close().catch(() => undefined);
  }
}

/** Follows `files` and reconciles each delivery or failure they log against the store. */
export class ReconcileFollower {
  private readonly tails: Tail[];
  private matcher: Matcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;
  private lastIndexAt = 0;

  constructor(
    private readonly store: Store,
    files: readonly string[],
    private readonly opts: FollowOptions,
  ) {
    this.tails = files.map((f) => new Tail(f, opts, async (ev) => {
      await this.matcher?.lookUp(ev);
      this.matcher?.consider(ev);
    }));
  }

  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    await this.reindex();
    this.opts.logger.info({ files: this.tails.map((t) => t.file), failures: this.matcher!.failures.size }, 'reconcile: following delivery logs');
    await this.poll();
    this.schedule();
  }

  /** One round over every file (the timer calls it; tests may too). */
  poll(): Promise<void> {
    this.running ??= this.round().finally(() => (this.running = null));
    return this.running;
  }

  get counters(): MatchCounters | null {
    return this.matcher?.counters ?? null;
  }

  get files(): FollowedFileStats[] {
    return this.tails.map((t) => ({ ...t.stats }));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
    for (const t of this.tails) await t.close();
  }

  private async round(): Promise<void> {
    const now = (this.opts.clock ?? { now: Date.now }).now();
    if (now - this.lastIndexAt >= (this.opts.reindexMs ?? 300_000)) await this.reindex();
    for (const t of this.tails) {
      try {
        await t.poll();
      } catch (err) {
        this.opts.logger.warn({ file: t.file, err: (err as Error).message }, 'reconcile: cannot read a followed log, will retry');
      }
    }
    // Every followed log has been read up to now: judge the copies that got new records.
    await this.matcher?.settle();
  }

  private async reindex(): Promise<void> {
    const index = await FailureIndex.build(this.store);
    this.lastIndexAt = (this.opts.clock ?? { now: Date.now }).now();
    if (this.matcher) await this.matcher.setIndex(index);
    else {
      this.matcher = new Matcher(this.store, index, {
        live: true,
        ...(this.opts.relays ? { relays: this.opts.relays } : {}),
        ...(this.opts.skewMs !== undefined ? { skewMs: this.opts.skewMs } : {}),
        ...(this.opts.clock ? { clock: this.opts.clock } : {}),
        onMatch: (m) => {
          this.opts.logger.info({
            verdict: m.verdict, queueId: m.queueId, messageId: m.messageId, rcpt: m.rcpt, mx: m.upstreamHost,
            evidence: `${m.evidence.file}:${m.evidence.line}`, flagCleared: m.flagCleared,
          }, m.verdict === 'mismatch' ? 'reconcile: server response mismatch' : 'reconcile: failure confirmed by log');
          this.opts.onMatch?.(m);
        },
      });
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.poll().finally(() => this.schedule());
    }, this.opts.pollMs ?? 1_000);
    this.timer.unref();
  }
}
