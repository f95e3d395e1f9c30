// Prometheus metrics, derived from the store's live events (the same events every view uses)
// plus two things events do not carry: accepted messages and the queue as it is now.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { isBounceReport } from '../recipients/index.js';
import type { Store } from '../store/index.js';
import type { Envelope, RecipientEvent } from '../types.js';
import type { Clock } from '../util/clock.js';

/** The live queue (DeliveryEngine satisfies it). */
export interface QueueSource {
  queued(): Promise<Array<{ envelope: { receivedAt: number; rcpts: string[] } }>>;
}

export interface MetricsDeps {
  store: Pick<Store, 'subscribe' | 'getMessage'>;
  queue: QueueSource;
  clock: Clock;
  /** Node's process metrics (CPU, memory, event-loop lag) too. Default true. */
  processMetrics?: boolean;
}

/** Seconds from acceptance to upstream 250: sub-second relays up to the 5-day retry lifetime. */
const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600, 5 * 24 * 3600];

/**
 * Its own Registry (never prom-client's global one), so two instances in one process (tests)
 * do not collide. Counters start at zero with the process, as Prometheus expects.
 */
export class ReboundMetrics {
  readonly registry = new Registry();
  private unsubscribe: (() => void) | null = null;

  private readonly acceptedMessages = new Counter({ name: 'rebound_messages_accepted_total', help: 'Messages accepted by submission (durable in the spool)', registers: [this.registry] });
  private readonly acceptedRecipients = new Counter({ name: 'rebound_recipients_accepted_total', help: 'Recipients of accepted messages', registers: [this.registry] });
  private readonly delivered = new Counter({ name: 'rebound_delivered_total', help: 'Recipients the upstream accepted (250)', registers: [this.registry] });
  private readonly deferred = new Counter({ name: 'rebound_deferred_total', help: 'Temporary failures (will be retried), by reason and category', labelNames: ['reason', 'category'] as const, registers: [this.registry] });
  private readonly bounced = new Counter({
    name: 'rebound_bounced_total', help: 'Permanent failures, by reason and category; via="smtp" for a refusal during delivery, "report" for a bounce that came back later',
    labelNames: ['reason', 'category', 'via'] as const, registers: [this.registry],
  });
  private readonly expired = new Counter({ name: 'rebound_expired_total', help: 'Recipients given up on after the retry lifetime', labelNames: ['reason', 'category'] as const, registers: [this.registry] });
  private readonly latency = new Histogram({
    name: 'rebound_delivery_latency_seconds', help: 'From acceptance to the upstream\'s 250, per delivered recipient', buckets: LATENCY_BUCKETS, registers: [this.registry],
  });
  private readonly integration = new Counter({ name: 'rebound_integration_errors_total', help: 'Failures not about a recipient (connection, TLS, AUTH, DNS...), by cause', labelNames: ['cause'] as const, registers: [this.registry] });
  private readonly reports = new Counter({
    name: 'rebound_returnpath_reports_total', help: 'Reports that came back to the return path, by kind and whether they were tied to a message',
    labelNames: ['kind', 'matched'] as const, registers: [this.registry],
  });
  private readonly recipientChanges = new Counter({
    name: 'rebound_recipient_changes_total', help: 'Invalid-email flag and suppression changes, by change and by whom',
    labelNames: ['change', 'by'] as const, registers: [this.registry],
  });
  private readonly reconciled = new Counter({ name: 'rebound_reconciled_total', help: 'Delivery-log verdicts, by verdict', labelNames: ['verdict'] as const, registers: [this.registry] });

  constructor(private readonly deps: MetricsDeps) {
    const queueGauge = (name: string, help: string, value: (q: Awaited<ReturnType<QueueSource['queued']>>) => number) =>
      new Gauge({ name, help, registers: [this.registry], async collect() { this.set(value(await deps.queue.queued())); } });
    queueGauge('rebound_queue_messages', 'Messages in the queue (not yet final for every recipient)', (q) => q.length);
    queueGauge('rebound_queue_recipients', 'Recipients of the messages in the queue', (q) => q.reduce((n, m) => n + m.envelope.rcpts.length, 0));
    queueGauge('rebound_queue_oldest_age_seconds', 'Age of the oldest message in the queue; 0 when empty', (q) => {
      let oldest = Infinity;
      for (const m of q) oldest = Math.min(oldest, m.envelope.receivedAt);
      return oldest === Infinity ? 0 : Math.max(0, (deps.clock.now() - oldest) / 1000);
    });
    if (deps.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'rebound_' });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  start(): void {
    // Each node counts what it did: summed across nodes, no event counts twice.
    this.unsubscribe ??= this.deps.store.subscribe((e) => this.observe(e), { localOnly: true });
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  /** Wire to Rebound.onAccepted. */
  accepted(e: Pick<Envelope, 'rcpts'>): void {
    this.acceptedMessages.inc();
    this.acceptedRecipients.inc(e.rcpts.length);
  }

  observe(e: RecipientEvent): void {
    switch (e.type) {
      case 'attempt': {
        const labels = { reason: e.reason ?? 'undefined', category: e.category ?? 'Not Delivered' };
        if (e.status === 'delivered') {
          this.delivered.inc();
          // Observed when the lookup answers (a histogram does not mind the order).
          this.deps.store.getMessage(e.queueId).then((m) => {
            if (m) this.latency.observe(Math.max(0, (e.finishedAt - m.receivedAt) / 1000));
          }, () => undefined);
        } else if (e.status === 'deferred') this.deferred.inc(labels);
        else if (e.status === 'bounced') this.bounced.inc({ ...labels, via: 'smtp' });
        else this.expired.inc(labels);
        return;
      }
      case 'integration':
        this.integration.inc({ cause: e.cause });
        return;
      case 'report':
        this.reports.inc({ kind: e.kind, matched: String(e.verified) });
        if (e.verified && isBounceReport(e)) this.bounced.inc({ reason: e.reason, category: e.category, via: 'report' });
        return;
      case 'reconcile':
        this.reconciled.inc({ verdict: e.verdict });
        return;
      default:
        this.recipientChanges.inc({ change: e.type, by: e.by });
    }
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}

