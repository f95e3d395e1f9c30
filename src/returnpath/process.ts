import { randomUUID } from 'node:crypto';
import { applyReport } from '../recipients/index.js';
import type { Store } from '../store/index.js';
import type { MessageRecipient, ReportOutcome } from '../types.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { correlate, type CorrelationContext } from './correlate.js';
import { parseReport, type ParsedReport } from './parse/index.js';
import type { ReportArchive } from './report-archive.js';
import { sameAddress } from '../util/address-key.js';

export interface ProcessedReport {
  reportId: string;
  parsed: ParsedReport;
  outcomes: ReportOutcome[];
}

export interface ReportProcessorDeps {
  store: Store;
  archive: ReportArchive;
  correlation: CorrelationContext;
  logger: Logger;
  clock: Clock;
  /** Told about every outcome (webhooks, metrics). */
  onOutcome?: (o: ReportOutcome) => void;
}

/** Parses, ties and records one report that reached the return path, then applies its effects. */
export class ReportProcessor {
  constructor(private readonly deps: ReportProcessorDeps) {}

  async process(raw: Buffer, envelope: { from: string; rcpts: string[] }): Promise<ProcessedReport> {
    const { store, logger, clock } = this.deps;
    const reportId = randomUUID();
    const now = clock.now();
    const parsed = await parseReport(raw);
    const text = raw.subarray(0, 512 * 1024).toString('latin1');
    const tied = correlate(parsed, envelope.rcpts, text, this.deps.correlation);
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
      diagnostic: c.record?.diagnostic ?? parsed.error ?? '',
      decodedby: c.record?.decodedby ?? '',
      ...(c.record?.feedbacktype ? { feedbacktype: c.record.feedbacktype } : {}),
      ...(c.record?.remoteMta ? { remoteMta: c.record.remoteMta } : {}),
    }));
    // Kept raw beside what we made of it, before anything changes.
    await this.deps.archive.save(reportId, now, raw, { envelope, parsed, outcomes });
    for (const o of outcomes) {
      store.appendEvent({ type: 'report', id: randomUUID(), time: now, ...o });
      this.apply(o, now);
      logger.info({
        reportId, kind: o.kind, queueId: o.queueId, rcpt: o.rcpt, status: o.status, code: o.replycode, reason: o.reason,
        verified: o.verified, matchedBy: o.matchedBy, unmatchedWhy: o.unmatchedWhy, from: envelope.from,
      }, 'report');
      this.deps.onOutcome?.(o);
    }
    return { reportId, parsed, outcomes };
  }

  private apply(o: ReportOutcome, now: number): void {
    const { store } = this.deps;
    if (!o.verified || !o.rcpt) return;
    const { record, changes } = applyReport(store.getRecipient(o.rcpt), o, now);
    if (record) store.putRecipient(record);
    for (const change of changes) {
      store.appendEvent({ type: change, id: randomUUID(), time: now, rcpt: o.rcpt, reason: o.reason, queueId: o.queueId, by: 'report' });
    }
    // A late bounce or a success notice settles the recipient's fate inside its message too.
    const msg = o.queueId ? store.getMessage(o.queueId) : undefined;
    const r = msg?.rcpts.find((x) => sameAddress(x.rcpt, o.rcpt));
    if (!msg || !r) return;
    let status: MessageRecipient['status'] | null = null;
    if (o.reason === 'delivered') status = 'delivered';
    else if (o.reason !== 'vacation' && o.reason !== 'feedback' && (o.status.startsWith('5') || o.replycode.startsWith('5'))) status = 'bounced';
    if (!status) return;
    Object.assign(r, { status, lastResponse: o.diagnostic || r.lastResponse, lastEnhanced: o.status || r.lastEnhanced, lastCode: Number(o.replycode) || r.lastCode, updatedAt: now });
    store.putMessage(msg);
  }
}
