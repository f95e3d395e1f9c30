// scanLog: readLog's push-style twin for the hot path. Records go to a synchronous callback as
// each batch of lines is parsed, instead of one async-iterator step (a promise) per record;
// on a 1M-line Postfix log that is about twice as fast. Same detection, stats and options.
import { stat } from 'node:fs/promises';
import { detectFormat, DETECT_LINES } from './detect.js';
import { readLines, type LineSourceEnd } from './line-source.js';
import { READER_FACTORIES, ReconcileError, type ReadLogOptions } from './read-log.js';
import { LOG_FORMATS, type LineReader, type LogEvidence, type LogFormat, type ReadStats } from './types.js';

const SAMPLE_CHARS = 300;

export interface ScanResult {
  stats: ReadStats;
  format: LogFormat | undefined;
}

/** Streams one file through its reader, calling `onEvidence` for each record (in file order). */
export async function scanLog(
  file: string,
  opts: Omit<ReadLogOptions, 'onStats'>,
  onEvidence: (ev: LogEvidence) => void,
): Promise<ScanResult> {
  if (opts.format !== undefined && !LOG_FORMATS.includes(opts.format)) {
    throw new ReconcileError('RECONCILE_BAD_OPTION', `unknown log format "${String(opts.format)}"; use one of ${LOG_FORMATS.join(', ')}`);
  }
  const stats: ReadStats = { lines: 0, records: 0, malformed: 0, malformedSamples: [], peakOpenMessages: 0 };
  const sinceMs = opts.since?.getTime();
  const maxSamples = opts.maxMalformedSamples ?? 5;
  let format = opts.format;
  let reader: LineReader | undefined;
  const emit = (ev: LogEvidence): void => {
    if (sinceMs !== undefined && ev.time !== undefined && ev.time.getTime() < sinceMs) return;
    stats.records++;
    onEvidence(ev);
  };
  const malformed = (line: number, text: string): void => {
    stats.malformed++;
    if (stats.malformedSamples.length < maxSamples) stats.malformedSamples.push({ line, text: text.slice(0, SAMPLE_CHARS) });
  };
  let lineNo = 0;
  const feed = (text: string, oversized: boolean): void => {
    lineNo++;
    stats.lines++;
    if (text.length === 0) return;
    if (oversized || reader!.readLine(text, lineNo, emit, malformed) === 'malformed') malformed(lineNo, text);
  };
  // Lines held back until the format is known.
  let held: string[] | undefined = [];
  let heldNonEmpty = 0;
  const start = async (): Promise<void> => {
    format ??= detectFormat(held!);
    if (!format) {
      throw new ReconcileError('RECONCILE_UNKNOWN_FORMAT', `cannot tell the log format of ${file} from its first lines; pass format: one of ${LOG_FORMATS.join(', ')}`);
    }
    reader = READER_FACTORIES[format]({
      file, referenceDate: opts.referenceDate ?? (await stat(file)).mtime, utcOffsetMinutes: opts.utcOffsetMinutes,
      maxOpenMessages: opts.maxOpenMessages, reboundIdPattern: opts.reboundIdPattern,
    });
    const lines = held!;
    held = undefined;
    for (const text of lines) feed(text, false);
  };
  const end: LineSourceEnd = {};
  for await (const batch of readLines(file, end)) {
    const lines = batch.lines;
    for (let i = 0; i < lines.length; i++) {
      const text = lines[i]!;
      if (held) {
        held.push(text);
        if (text.length > 0 && ++heldNonEmpty >= DETECT_LINES) await start();
        continue;
      }
      feed(text, batch.oversized.size > 0 && batch.oversized.has(i));
    }
  }
  if (held && heldNonEmpty > 0) await start();
  if (reader) {
    reader.flush?.(emit, malformed);
    stats.peakOpenMessages = reader.peakOpenMessages;
  }
  if (end.truncated) stats.truncated = end.truncated;
  return { stats, format };
}
