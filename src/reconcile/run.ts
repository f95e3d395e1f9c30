// reconcile(): read delivery logs against the store and apply what they prove. The store's
// failures are indexed once; each log is streamed, so memory stays flat however long it is.
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import type { Store } from '../store/index.js';
import type { Clock } from '../util/clock.js';
import { FailureIndex } from './failure-index.js';
import { Matcher, type ReconcileMatch } from './match.js';
import { ReconcileError } from './read-log.js';
import { scanLog, type ScanResult } from './read-log.js';
import type { LogFormat, MalformedSample } from './types.js';

/**
 * Rebound's queue id in what upstream logs show of a message: the VERP return path
 * (b+QUEUEID-N-SIG@domain) or the Message-ID submission adds when a message has none (QUEUEID@host).
 */
export const REBOUND_ID_PATTERN = /^(?:b\+)?([0-9A-Z]{16})(?:-\d{1,5}-[0-9a-z]{16})?@/;

/** Extra passes over earlier logs for next-hop ids found later (hops in a chain, beyond the first). */
const MAX_CHAIN_PASSES = 4;

export interface ReconcileOptions {
  /** Read every file as this format instead of detecting it. */
  format?: LogFormat;
  /** Ignore log records older than this. */
  since?: Date;
  /** Report what would change without writing anything. */
  dryRun?: boolean;
  /** Offset of zone-less log timestamps from UTC in minutes (default: this machine's zone). */
  utcOffsetMinutes?: number;
  /** For year-less syslog timestamps: a date at or just after the end of the log (default: the file's mtime). */
  referenceDate?: Date;
  /** Clock difference allowed between the logs' hosts and ours when telling copies of a message apart. Default 5 minutes. */
  skewMs?: number;
  /** Relays that pass mail on for us (reconcile.relays), besides loopback/private addresses and the hosts whose logs are read. */
  relays?: readonly string[];
  /** How many matches and unmatched failures the result lists (all are counted). Default 1,000. */
  maxListed?: number;
  clock?: Clock;
}

export interface FileReport {
  file: string;
  format: LogFormat | null;
  lines: number;
  records: number;
  malformed: number;
  malformedSamples: MalformedSample[];
  /** Why the file could not be read (unknown format, missing file); the other files are still read. */
  error?: string;
  truncated?: string;
}

export interface UnmatchedFailure {
  queueId: string;
  messageId: string | null;
  rcpt: string;
  status: 'bounced' | 'expired';
  upstreamHost: string | null;
  response: string | null;
}

export interface ReconcileResult {
  dryRun: boolean;
  /** Failed (message, recipient) pairs of failing or flagged recipients that the logs were searched for. */
  candidates: number;
  /** Log records tied to one of them. */
  matched: number;
  /** Verdicts that changed the store (would have, in a dry run). */
  changed: number;
  mismatches: number;
  confirmed: number;
  /** Log records about an earlier copy of the message (logged before this copy left Rebound). */
  earlier: number;
  /** Flagged addresses whose message the smarthost accepted, found delivered at the end of the chain: flag cleared. */
  acceptedDelivered: number;
  /** Copies the logs show only handed off inside the chain (read the next hop's log to settle them). */
  handedOffOnly: number;
  /** Candidates the logs said nothing about. */
  unmatched: number;
  /** Mismatches per upstream host (the host that sent the wrong status). */
  byUpstream: Record<string, number>;
  /** The verdicts, up to maxListed. */
  matches: ReconcileMatch[];
  unmatchedFailures: UnmatchedFailure[];
  files: FileReport[];
  elapsedMs: number;
}

/**
 * Reads each file (its own format and joining state; a rotated set can be passed oldest first)
 * and applies the verdicts. Running it again over the same logs changes nothing.
 */
export async function reconcile(store: Store, files: readonly string[], opts: ReconcileOptions = {}): Promise<ReconcileResult> {
  const started = Date.now();
  const maxListed = opts.maxListed ?? 1_000;
  const index = await FailureIndex.build(store);
  const matches: ReconcileMatch[] = [];
  const matcher = new Matcher(store, index, {
    dryRun: !!opts.dryRun,
    ...(opts.skewMs !== undefined ? { skewMs: opts.skewMs } : {}),
    ...(opts.relays ? { relays: opts.relays } : {}),
    ...(opts.clock ? { clock: opts.clock } : {}),
    onMatch: (m) => {
      if (matches.length < maxListed) matches.push(m);
    },
  });
  const reports: FileReport[] = [];
  for (let i = 0; i < files.length; i++) {
    matcher.fileIndex = i;
    reports.push(await reconcileFile(matcher, files[i]!, opts));
  }
  // A hand-off read late may name an id in a hop log read earlier: read those logs again for it
  // (a chain is a few hops long; each pass only looks at the newly linked ids).
  for (let pass = 0; pass < MAX_CHAIN_PASSES; pass++) {
    const again = matcher.filesToReread();
    if (again.length === 0) break;
    matcher.followPending(true);
    for (const i of again) {
      matcher.fileIndex = i;
      if (!reports[i]!.error) await reconcileFile(matcher, files[i]!, opts);
    }
    matcher.followPending(false);
  }
  // Judged once every log was read: the end of the chain decides.
  await matcher.settle();

  const unmatchedFailures: UnmatchedFailure[] = [];
  let unmatched = 0;
  for (const e of index.entries) {
    if (e.matched || e.status === 'delivered') continue;
    unmatched++;
    if (unmatchedFailures.length < maxListed) {
      unmatchedFailures.push({ queueId: e.queueId, messageId: e.messageId, rcpt: e.rcpt, status: e.status, upstreamHost: e.mx, response: e.response });
    }
  }
  // Tied to log records, yet no verdict: the logs read show only hand-offs inside the chain.
  const handedOffOnly = index.entries.filter((e) => e.matched && e.verdict === null && !e.awaited && e.status !== 'delivered').length;
  const c = matcher.counters;
  return {
    dryRun: !!opts.dryRun, candidates: index.size, matched: c.matched, changed: c.changed, mismatches: c.mismatches,
    confirmed: c.confirmed, handedOffOnly, acceptedDelivered: c.acceptedDelivered, earlier: c.earlier, unmatched, byUpstream: Object.fromEntries(c.byUpstream), matches, unmatchedFailures,
    files: reports, elapsedMs: Date.now() - started,
  };
}

async function reconcileFile(matcher: Matcher, file: string, opts: ReconcileOptions): Promise<FileReport> {
  // Checked here because line-source opens its stream before it can report a missing file.
  const unreadable = await access(file, constants.R_OK).then(() => undefined, (err: Error) => err.message);
  if (unreadable) return { file, format: null, lines: 0, records: 0, malformed: 0, malformedSamples: [], error: unreadable };
  let error: string | undefined;
  let scan: ScanResult | undefined;
  try {
    scan = await scanLog(file, {
      reboundIdPattern: REBOUND_ID_PATTERN,
      ...(opts.format ? { format: opts.format } : {}),
      ...(opts.since ? { since: opts.since } : {}),
      ...(opts.utcOffsetMinutes !== undefined ? { utcOffsetMinutes: opts.utcOffsetMinutes } : {}),
      ...(opts.referenceDate ? { referenceDate: opts.referenceDate } : {}),
    }, (ev) => matcher.consider(ev));
  } catch (err) {
    // One unreadable file (unknown format) must not lose the verdicts of the others.
    if (!(err instanceof ReconcileError) || err.code !== 'RECONCILE_UNKNOWN_FORMAT') throw err;
    error = err.message;
  }
  const s = scan?.stats;
  return {
    file, format: scan?.format ?? null, lines: s?.lines ?? 0, records: s?.records ?? 0, malformed: s?.malformed ?? 0,
    malformedSamples: s?.malformedSamples ?? [], ...(error ? { error } : {}), ...(s?.truncated ? { truncated: s.truncated } : {}),
  };
}

/**
 * Parses --since: an ISO date/time, or an age such as "90m", "12h", "7d" counted back from now.
 * Throws a ReconcileError that says what to write instead.
 */
export function parseSince(text: string, now: number = Date.now()): Date {
  const age = /^(\d+(?:\.\d+)?)\s*(s|m|h|d|w)$/i.exec(text.trim());
  if (age) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[age[2]!.toLowerCase() as 's' | 'm' | 'h' | 'd' | 'w'];
    return new Date(now - Number(age[1]) * unit);
  }
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new ReconcileError('RECONCILE_BAD_OPTION', `--since "${text}" is neither a date (2024-05-01, 2024-05-01T10:00:00Z) nor an age (90m, 12h, 7d)`);
  return new Date(t);
}
