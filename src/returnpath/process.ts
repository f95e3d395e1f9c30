import { randomUUID } from 'node:crypto';
import { applyReport, provesDelivery } from '../recipients/index.js';
import type { Store } from '../store/index.js';
import type { MessageRecipient, MessageRecord, RecipientEvent, ReportOutcome } from '../types.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { correlate, type CorrelationContext } from './correlate.js';
import { parseReport, type ParsedReport } from './parse/index.js';
import type { ReportArchive } from './report-archive.js';
import { sameAddress } from '../util/address-key.js';
import { RecentReports } from './retransmissions.js';

export interface ProcessedReport {
  reportId: string;
  parsed: ParsedReport;
  outcomes: ReportOutcome[];
  /** True when this was a retransmission of a report already recorded (nothing was done again). */
  duplicate?: boolean;
}

/** What parsing made of a report; `unparsedWhy` when it could not be parsed (kept raw, no effects). */
export interface ParseResult {
  parsed: ParsedReport;
  unparsedWhy?: string;
}

export interface ReportProcessorDeps {
  store: Store;
  archive: ReportArchive;
  correlation: CorrelationContext;
  logger: Logger;
  clock: Clock;
  /** Told about every outcome (webhooks, metrics). */
  onOutcome?: (o: ReportOutcome) => void;
  /** Parses a report (default: in this thread; the server passes its worker pool). */
  parse?: (raw: Buffer) => Promise<ParseResult>;
  /** Longest `process` waits for the store's durable() before it gives up with StoreNotDurableError (default 30 s). */
  durableWaitMs?: number;
}

/** The store did not make a report's effects durable in time; the sender gets a temporary error. */
export class StoreNotDurableError extends Error {
  readonly code = 'ESTORENOTDURABLE';
}

const parseHere = async (raw: Buffer): Promise<ParseResult> => ({ parsed: await parseReport(raw) });

/**
 * Parses, ties and records one report that reached the return path, then applies its effects.
 * It resolves (and the server says 250) only once the raw report is synced to disk and the store
 * has made its effects durable; a retransmitted report resolves to the first one's result.
 */
export class ReportProcessor {
  private readonly recent = new RecentReports<ProcessedReport>();

  constructor(private readonly deps: ReportProcessorDeps) {}

  async process(raw: Buffer, envelope: { from: string; rcpts: string[] }): Promise<ProcessedReport> {
    // While the store cannot write (disk full), the report stays in flight and is remembered: the
    // sender gets a temporary error after `durableWaitMs`, and its retransmission joins this one
    // instead of applying the report twice.
    const recording = this.recent.once(RecentReports.key(raw, envelope), () => this.record(raw, envelope));
    const waitMs = this.deps.durableWaitMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StoreNotDurableError(`the store did not make the report durable within ${waitMs} ms`)), waitMs);
    });
    const { value, duplicate } = await Promise.race([recording, deadline]).finally(() => clearTimeout(timer));
    if (duplicate) this.deps.logger.info({ reportId: value.reportId, from: envelope.from }, 'report: retransmission of a report already recorded');
    return duplicate ? { ...value, duplicate } : value;
  }

  private async record(raw: Buffer, envelope: { from: string; rcpts: string[] }): Promise<ProcessedReport> {
    const { store, logger, clock } = this.deps;
    const reportId = randomUUID();
    const { parsed, unparsedWhy } = await (this.deps.parse ?? parseHere)(raw);
    const now = clock.now();
    const text = raw.subarray(0, 512 * 1024).toString('latin1');
    const tied = await correlate(parsed, envelope.rcpts, text, this.deps.correlation);
    const outcomes: ReportOutcome[] = tied.map((c) => ({
      reportId,
      kind: parsed.kind,
      queueId: c.queueId,
      rcpt: c.rcpt,
      verified: c.verified,
      matchedBy: c.matchedBy,
      ...(c.unmatchedWhy ? { unmatchedWhy: c.unmatchedWhy } : {}),
      status: c.record?.status ?? '',
      replycode: c.record?.replycode ?? '',
      reason: c.record?.reason ?? 'undefined',
      category: c.record?.category ?? 'Not Delivered',
      hard: c.record?.hardbounce ?? false,
      diagnostic: c.record?.diagnostic ?? unparsedWhy ?? parsed.error ?? '',
      decodedby: c.record?.decodedby ?? '',
      ...(c.record?.feedbacktype ? { feedbacktype: c.record.feedbacktype } : {}),
      ...(c.record?.remoteMta ? { remoteMta: c.record.remoteMta } : {}),
      ...(c.record?.reportingMta ? { reportingMta: c.record.reportingMta } : {}),
      ...(c.record?.action ? { action: c.record.action } : {}),
    }));
    // Kept raw beside what we made of it, synced, before anything changes.
    await this.deps.archive.save(reportId, now, raw, { envelope, parsed, outcomes, ...(unparsedWhy ? { unparsedWhy } : {}) });
    // Every outcome's writes issued together and awaited together (one group commit on lowdb).
    await Promise.all(outcomes.map((o) => {
      const event: RecipientEvent = { type: 'report', id: randomUUID(), time: now, ...o };
      // A report that could not be parsed is recorded, and changes no recipient.
      return unparsedWhy ? store.appendEvents([event]) : this.apply(o, event, now);
    }));
    for (const o of outcomes) {
      logger.info({
        reportId, kind: o.kind, queueId: o.queueId, rcpt: o.rcpt, status: o.status, code: o.replycode, reason: o.reason,
        verified: o.verified, matchedBy: o.matchedBy, unmatchedWhy: o.unmatchedWhy, from: envelope.from,
        ...(unparsedWhy ? { unparsedWhy } : {}),
      }, 'report');
      this.deps.onOutcome?.(o);
    }
    return { reportId, parsed, outcomes };
  }

  /** Records the report's event and folds it into its recipient (one atomic update) and its message. */
  private async apply(o: ReportOutcome, event: RecipientEvent, now: number): Promise<void> {
    const { store } = this.deps;
    const rcpt = o.rcpt;
    if (!o.verified || !rcpt) return store.appendEvents([event]);
    // A late bounce or a success notice settles the recipient's fate inside its message too:
    // read first, so both writes are issued together (one commit on lowdb, no window between them).
    const msg = o.queueId ? await store.getMessage(o.queueId) : undefined;
    const settled = msg && settleInMessage(msg, o, now);
    // Ids made outside: the change may run again (a database retry) and must stay pure.
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    await Promise.all([
      store.updateRecipient(rcpt, (prev) => {
        const { record, changes } = applyReport(prev, o, now);
        return {
          record,
          events: [event, ...changes.map((type, i): RecipientEvent => ({ type, id: ids[i] ?? randomUUID(), time: now, rcpt, reason: o.reason, queueId: o.queueId, by: 'report' }))],
        };
      }),
      settled ? store.putMessage(msg) : undefined,
    ]);
  }
}

/** Sets the reported recipient's status in its message (changes `msg`); false when the report does not settle it. */
function settleInMessage(msg: MessageRecord, o: ReportOutcome, now: number): boolean {
  const r = msg.rcpts.find((x) => sameAddress(x.rcpt, o.rcpt));
  if (!r) return false;
  let status: MessageRecipient['status'] | null = null;
  if (provesDelivery(o)) status = 'delivered';
  else if (o.reason !== 'vacation' && o.reason !== 'feedback' && (o.status.startsWith('5') || o.replycode.startsWith('5'))) status = 'bounced';
  if (!status) return false;
  Object.assign(r, { status, lastResponse: o.diagnostic || r.lastResponse, lastEnhanced: o.status || r.lastEnhanced, lastCode: Number(o.replycode) || r.lastCode, updatedAt: now });
  return true;
}
