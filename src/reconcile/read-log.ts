// readLog: stream a delivery log as LogEvidence records, line by line in constant memory.
// Malformed lines are counted (with a few samples) and skipped; they never stop the read.
import { stat } from 'node:fs/promises';
import type { LineReader, LogEvidence, LogFormat, ReadStats, ReaderOptions } from './types.js';
import { LOG_FORMATS } from './types.js';
import { detectFormat, DETECT_LINES } from './detect.js';
import { readLines, type LineSourceEnd } from './line-source.js';
import { createPostfixReader } from './readers/postfix.js';
import { createEximReader } from './readers/exim.js';
import { createSendmailReader } from './readers/sendmail.js';
import { createExchangeReader } from './readers/exchange.js';
import { createM365Reader } from './readers/m365.js';
import { createReboundReader } from './readers/rebound.js';

export interface ReadLogOptions {
  /** Skip detection and read the file as this format. */
  format?: LogFormat;
  /** Drop records older than this (joining state is still built from earlier lines). */
  since?: Date;
  /**
   * For syslog timestamps without a year: a date at or just after the end of the (first) file.
   * Default: that file's modification time.
   */
  referenceDate?: Date;
  /** Offset of zone-less timestamps from UTC in minutes. Default: this machine's local zone. */
  utcOffsetMinutes?: number;
  /** Cap on messages held for joining by queue id (oldest dropped first). Default 100,000. */
  maxOpenMessages?: number;
  /** Capture group 1 on the envelope sender or Message-ID gives LogEvidence.reboundQueueId. */
  reboundIdPattern?: RegExp;
  /** How many malformed lines to keep as samples. Default 5. */
  maxMalformedSamples?: number;
  /** Called once when the read finishes (also after an early break by the consumer). */
  onStats?: (stats: ReadStats) => void;
}

/** An iterable of records plus live counters; iterate it once. */
export interface LogRead extends AsyncIterable<LogEvidence> {
  readonly stats: ReadStats;
  /** The format in use, once known (after the first lines were read). */
  readonly format: LogFormat | undefined;
}

export const READER_FACTORIES: Record<LogFormat, (opts: ReaderOptions) => LineReader> = {
  postfix: createPostfixReader,
  exim: createEximReader,
  sendmail: createSendmailReader,
  exchange: createExchangeReader,
  m365: createM365Reader,
  rebound: createReboundReader,
};

/** A mistake the caller can fix (unknown format, bad option), with a code to match on. */
export class ReconcileError extends Error {
  constructor(
    readonly code: 'RECONCILE_UNKNOWN_FORMAT' | 'RECONCILE_BAD_OPTION',
    message: string,
  ) {
    super(message);
    this.name = 'ReconcileError';
  }
}

const SAMPLE_CHARS = 300;

/** Read one log file. */
export function readLog(file: string, opts: ReadLogOptions = {}): LogRead {
  return readLogs([file], opts);
}

function checkFormat(opts: ReadLogOptions): void {
  if (opts.format !== undefined && !LOG_FORMATS.includes(opts.format)) {
    throw new ReconcileError('RECONCILE_BAD_OPTION', `unknown log format "${String(opts.format)}"; use one of ${LOG_FORMATS.join(', ')}`);
  }
}

const emptyStats = (): ReadStats => ({ lines: 0, records: 0, malformed: 0, malformedSamples: [], peakOpenMessages: 0 });

/**
 * Read a rotated set as one log, oldest file first (e.g. maillog.2.gz, maillog.1, maillog), so a
 * message whose lines straddle a rotation is still joined. Line numbers restart in each file.
 */
export function readLogs(files: readonly string[], opts: ReadLogOptions = {}): LogRead {
  checkFormat(opts);
  const stats = emptyStats();
  const state: { format: LogFormat | undefined } = { format: opts.format };
  let started = false;
  return {
    stats,
    get format() {
      return state.format;
    },
    [Symbol.asyncIterator]() {
      if (started) throw new Error('a LogRead can be iterated only once');
      started = true;
      return run(files, opts, stats, state);
    },
  };
}

async function* run(files: readonly string[], opts: ReadLogOptions, stats: ReadStats, state: { format: LogFormat | undefined }): AsyncGenerator<LogEvidence> {
  try {
    for await (const batch of scanBatches(files, opts, stats, state)) {
      for (const ev of batch) {
        // Counted as handed over, so a consumer that stops early sees what it got.
        stats.records++;
        yield ev;
      }
    }
  } finally {
    opts.onStats?.(stats);
  }
}

/**
 * Push-style reading for the hot path (reconcile): records go to a synchronous callback, one await
 * per batch of lines rather than one per record. Same detection, stats and options as readLog.
 */
export interface ScanResult {
  stats: ReadStats;
  format: LogFormat | undefined;
}

export async function scanLog(
  file: string,
  opts: Omit<ReadLogOptions, 'onStats'>,
  onEvidence: (ev: LogEvidence) => void,
): Promise<ScanResult> {
  checkFormat(opts);
  const stats = emptyStats();
  const state: { format: LogFormat | undefined } = { format: opts.format };
  for await (const batch of scanBatches([file], opts, stats, state)) {
    for (const ev of batch) {
      stats.records++;
      onEvidence(ev);
    }
  }
  return { stats, format: state.format };
}

/** The one read loop: yields the records of each batch of lines, in file order (the caller counts them). */
async function* scanBatches(
  files: readonly string[],
  opts: ReadLogOptions,
  stats: ReadStats,
  state: { format: LogFormat | undefined },
): AsyncGenerator<LogEvidence[]> {
  const sinceMs = opts.since?.getTime();
  const maxSamples = opts.maxMalformedSamples ?? 5;
  let out: LogEvidence[] = [];
  const emit = (ev: LogEvidence): void => {
    if (sinceMs !== undefined && ev.time !== undefined && ev.time.getTime() < sinceMs) return;
    out.push(ev);
  };
  const take = (): LogEvidence[] => {
    const batch = out;
    out = [];
    return batch;
  };
  const malformed = (line: number, text: string): void => {
    stats.malformed++;
    if (stats.malformedSamples.length < maxSamples) stats.malformedSamples.push({ line, text: text.slice(0, SAMPLE_CHARS) });
  };
  let reader: LineReader | undefined;
  for (const file of files) {
    let lineNo = 0;
    const end: LineSourceEnd = {};
    // Lines held back until the format is known.
    let held: string[] | undefined = reader ? undefined : [];
    let heldNonEmpty = 0;
    const feed = (text: string, oversized: boolean): void => {
      lineNo++;
      stats.lines++;
      if (text.length === 0) return;
      if (oversized || reader!.readLine(text, lineNo, emit, malformed) === 'malformed') malformed(lineNo, text);
    };
    const start = async (): Promise<void> => {
      const format = state.format ?? detectFormat(held!);
      if (!format) {
        throw new ReconcileError(
          'RECONCILE_UNKNOWN_FORMAT',
          `cannot tell the log format of ${file} from its first lines; pass format: one of ${LOG_FORMATS.join(', ')}`,
        );
      }
      state.format = format;
      const referenceDate = opts.referenceDate ?? (await stat(file)).mtime;
      reader = READER_FACTORIES[format]({
        file,
        referenceDate,
        utcOffsetMinutes: opts.utcOffsetMinutes,
        maxOpenMessages: opts.maxOpenMessages,
        reboundIdPattern: opts.reboundIdPattern,
      });
      const lines = held!;
      held = undefined;
      for (const text of lines) feed(text, false);
    };
    reader?.setFile(file);
    for await (const batch of readLines(file, end)) {
      for (let i = 0; i < batch.lines.length; i++) {
        const text = batch.lines[i]!;
        if (held) {
          // Oversized lines are rare enough to re-check at feed time; hold them as text.
          held.push(text);
          if (text.length > 0 && ++heldNonEmpty >= DETECT_LINES) await start();
          continue;
        }
        feed(text, batch.oversized.size > 0 && batch.oversized.has(i));
      }
      if (out.length) yield take();
      if (reader) stats.peakOpenMessages = Math.max(stats.peakOpenMessages, reader.peakOpenMessages);
    }
    if (held) {
      if (heldNonEmpty === 0) continue; // an empty file says nothing about the format
      await start();
    }
    reader?.flush?.(emit, malformed);
    if (out.length) yield take();
    if (end.truncated) stats.truncated = end.truncated;
    if (reader) stats.peakOpenMessages = Math.max(stats.peakOpenMessages, reader.peakOpenMessages);
  }
}
