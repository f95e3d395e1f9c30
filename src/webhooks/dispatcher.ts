import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Store } from '../store/index.js';
import type { RecipientEvent } from '../types.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { DEFAULT_RETRY, EndpointWorker, type RetryPolicy } from './endpoint.js';
import { toWebhookEvent } from './events.js';
import { Outbox } from './outbox.js';
import type { WebhookEndpointConfig, WebhookEndpointStatus } from './types.js';

export interface WebhookDispatcherOptions {
  /** Folder for the outbox files (dataDir/webhooks). */
  dir: string;
  endpoints: WebhookEndpointConfig[];
  store: Pick<Store, 'subscribe' | 'getMessage'>;
  logger: Logger;
  clock: Clock;
  retry?: Partial<RetryPolicy>;
  /** Per request. Default 10 s. */
  timeoutMs?: number;
}

/** The outbox file of an endpoint: named by its URL, so it survives reordering the config. */
export function outboxFileName(url: string): string {
  return `${createHash('sha256').update(url).digest('hex').slice(0, 16)}.jsonl`;
}

/**
 * Turns store events into signed webhook POSTs. Each event is written to every interested
 * endpoint's outbox first, then sent; what was not acknowledged when the process stopped is
 * sent again on the next start.
 */
export class WebhookDispatcher {
  private readonly workers: Array<{ worker: EndpointWorker; outbox: Outbox }> = [];
  private unsubscribe: (() => void) | null = null;
  /** Events are handed to the outboxes one after another, in store order (a lookup may come between). */
  private handing: Promise<void> = Promise.resolve();

  constructor(private readonly o: WebhookDispatcherOptions) {}

  /**
   * Subscribes at once (synchronously), then opens the outboxes: events that happen while they
   * open are held and handed over after what was pending from before the restart.
   */
  async start(): Promise<void> {
    if (!this.o.endpoints.length) return;
    let held: RecipientEvent[] | null = [];
    // The node that wrote an event sends its webhooks: with several nodes each event goes out once.
    this.unsubscribe = this.o.store.subscribe((e) => (held ? held.push(e) : this.dispatch(e)), { localOnly: true });
    await fsp.mkdir(this.o.dir, { recursive: true });
    const retry = { ...DEFAULT_RETRY, ...this.o.retry };
    for (const config of this.o.endpoints) {
      const outbox = new Outbox(path.join(this.o.dir, outboxFileName(config.url)));
      const pending = await outbox.open();
      const worker = new EndpointWorker({ config, outbox, retry, timeoutMs: this.o.timeoutMs ?? 10_000, logger: this.o.logger, clock: this.o.clock });
      if (pending.length) this.o.logger.info({ webhook: config.url, pending: pending.length }, 'webhook: resending events not acknowledged before the restart');
      worker.restore(pending);
      this.workers.push({ worker, outbox });
    }
    const early = held;
    held = null;
    for (const e of early) this.dispatch(e);
  }

  private dispatch(e: RecipientEvent): void {
    this.handing = this.handing.then(() => this.handOver(e)).catch((err: Error) => {
      this.o.logger.error({ err: err.message, event: e.id }, 'webhook: could not hand an event to the outboxes');
    });
  }

  private async handOver(e: RecipientEvent): Promise<void> {
    let event = toWebhookEvent(e);
    if (!event) return;
    // Events that do not carry the Message-ID (flag changes, reports) take it from their message.
    if (event.messageId === null && event.queueId !== null) event = { ...event, messageId: (await this.o.store.getMessage(event.queueId))?.messageId ?? null };
    for (const { worker, outbox } of this.workers) if (worker.wants(event.type)) worker.enqueue(outbox.append(event));
  }

  status(): WebhookEndpointStatus[] {
    return this.workers.map((w) => w.worker.status());
  }

  /** Resolves once every event handed over so far is in its outbox on disk. */
  async flush(): Promise<void> {
    await this.handing;
    await Promise.all(this.workers.map((w) => w.outbox.flush()));
  }

  /** Stops sending (bounded by `graceMs` for requests in flight) and closes the outboxes. */
  async stop(graceMs = 2_000): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    await this.handing;
    await Promise.all(this.workers.map((w) => w.worker.stop(graceMs)));
    await Promise.all(this.workers.map((w) => w.outbox.close()));
    this.workers.length = 0;
  }
}
