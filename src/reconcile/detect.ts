// Guess a log's format from its first non-empty lines. Each line votes for at most one format;
// header lines that only one format writes decide at once.
import type { LogFormat } from './types.js';
import { isEximId } from './readers/exim.js';
import { normaliseHeader, parseCsvRecord } from './parse/csv.js';

/** How many non-empty lines detection looks at. */
export const DETECT_LINES = 50;

const SYSLOG_PROGRAM = /^(?:[A-Z][a-z]{2} +\d{1,2} \d{2}:\d{2}:\d{2}(?:\.\d+)?|\d{4}-\d{2}-\d{2}T\S+) \S+ ([^\s[:]+)(?:\[\d+\])?: /;
const EXIM_NATIVE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?(?: [+-]\d{4})?(?: \[\d+\])? (\S+) /;

function voteOf(line: string): LogFormat | 'exchange!' | 'm365!' | undefined {
  const text = line.replace(/^\uFEFF/, '');
  if (text.startsWith('#Software: Microsoft Exchange') || text.startsWith('#Log-type: Message Tracking') || text.startsWith('#Fields: date-time')) {
    return 'exchange!';
  }
  if (text.startsWith('#TYPE ')) return undefined;
  if (text.startsWith('{')) {
    try {
      const o: unknown = JSON.parse(text);
      if (typeof o === 'object' && o !== null && 'time' in o && ('msg' in o || 'level' in o)) return 'rebound';
    } catch {
      /* not JSON: no vote */
    }
    return undefined;
  }
  const exim = EXIM_NATIVE.exec(text);
  if (exim?.[1] && isEximId(exim[1], 0, exim[1].length)) return 'exim';
  const sys = SYSLOG_PROGRAM.exec(text);
  if (sys?.[1]) {
    const program = sys[1];
    if (program === 'sendmail' || program.startsWith('sm-mta') || program.startsWith('sm-msp')) return 'sendmail';
    if (program.startsWith('exim')) return 'exim';
    if (program.includes('/') && program.includes('postfix')) return 'postfix';
    return undefined;
  }
  if (text.includes(',')) {
    const names = (parseCsvRecord(text) ?? []).map(normaliseHeader);
    if (names.includes('origintimestamputc') || (names.includes('recipientstatus') && names.includes('senderaddress') && !names.includes('eventid'))) {
      return 'm365!';
    }
    if (names.includes('senderaddress') && names.includes('recipientaddress') && names.includes('status')) return 'm365!';
  }
  return undefined;
}

/** The most likely format of these lines, or undefined when nothing looks like a mail log. */
export function detectFormat(lines: readonly string[]): LogFormat | undefined {
  const votes = new Map<LogFormat, number>();
  let seen = 0;
  for (const line of lines) {
    if (line.trim().length === 0) continue;
    if (++seen > DETECT_LINES) break;
    const v = voteOf(line);
    if (v === 'exchange!') return 'exchange';
    if (v === 'm365!') return 'm365';
    if (v) votes.set(v, (votes.get(v) ?? 0) + 1);
  }
  let best: LogFormat | undefined;
  let bestVotes = 0;
  for (const [format, n] of votes) {
    if (n > bestVotes) {
      best = format;
      bestVotes = n;
    }
  }
  return best;
}
