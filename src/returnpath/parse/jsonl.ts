import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { parseReport } from './index.js';
import { splitMbox } from './mbox.js';

/** One line of the corpus scorer's results.jsonl. */
export interface JsonlLine {
  file: string;
  results: Array<{
    rcpt: string; status: string; replycode: string; reason: string; hardbounce: boolean;
    category: string; decodedby: string; diagnostic: string; feedbacktype?: string;
  }>;
  ms: number;
  error?: string;
}

/** Parses raw mail (one message or an mbox of several) into a scorer line under the given file label. */
export async function toJsonlLine(file: string, raw: Buffer | string): Promise<JsonlLine> {
  const t0 = performance.now();
  const reports = [];
  for (const one of splitMbox(raw)) reports.push(await parseReport(one));
  const report = { results: reports.flatMap((r) => r.results), error: reports.find((r) => r.error)?.error };
  const ms = Number((performance.now() - t0).toFixed(3));
  const line: JsonlLine = {
    file,
    results: report.results.map((r) => ({
      rcpt: r.rcpt, status: r.status, replycode: r.replycode, reason: r.reason, hardbounce: r.hardbounce,
      category: r.category, decodedby: r.decodedby, diagnostic: r.diagnostic,
      ...(r.feedbacktype !== undefined ? { feedbacktype: r.feedbacktype } : {}),
    })),
    ms,
  };
  if (report.error) line.error = report.error;
  return line;
}

/** Reads and parses one file; `label` defaults to the path (the scorer wants "eml/x.eml"). */
export async function parseFileToJsonl(path: string, label: string = path): Promise<JsonlLine> {
  return toJsonlLine(label, await readFile(path));
}
