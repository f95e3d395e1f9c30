import type { Logger } from '../util/logger.js';
import type { Clock } from '../util/clock.js';
import type { Outbox, OutboxEntry } from './outbox.js';
import { signPayload } from './sign.js';
import type { WebhookEndpointConfig, WebhookEndpointStatus } from './types.js';

export interface RetryPolicy {
  /** Wait after the first failure; doubles per failure. */
  firstDelayMs: number;
  maxDelayMs: number;
  /** Tries per event before it is dropped (and the next one is sent). */
  maxAttempts: number;
}

export const DEFAULT_RETRY: RetryPolicy = { firstDelayMs: 1_000, maxDelayMs: 300_000, maxAttempts: 12 };

export interface EndpointOptions {
  config: WebhookEndpointConfig;
  outbox: Outbox;
  retry: RetryPolicy;
  timeoutMs: number;
  logger: Logger;
  clock: Clock;
}

/**
 * Sends one endpoint's events strictly in order: the next event goes only after the one before
 * it was acknowledged (2xx) or given up on, so a receiver never sees "cleared" before "flagged".
 * A failing endpoint holds up only its own queue.
 */
export class EndpointWorker {
  private queue: OutboxEntry[] = [];
  private running: Promise<void> | null = null;
  private active = false;
  private stopped = false;
  private wake: (() => void) | null = null;
  private inflight: AbortController | null = null;
  private tries = 0;
  private readonly state = {
    delivered: 0, dropped: 0, consecutiveFailures: 0,
    lastSuccessAt: null as number | null, lastFailureAt: null as number | null, lastError: null as string | null, nextAttemptAt: null as number | null,
  };

  constructor(private readonly o: EndpointOptions) {}

  get url(): string {
    return this.o.config.url;
  }

  wants(type: string): boolean {
    const only = this.o.config.events;
    return !only || only.length === 0 || (only as string[]).includes(type);
  }

  /** Entries read back from the outbox at start: sent before anything new. */
  restore(entries: OutboxEntry[]): void {
    this.queue.push(...entries);
    this.kick();
  }

  enqueue(entry: OutboxEntry): void {
    this.queue.push(entry);
    this.kick();
  }

  status(): WebhookEndpointStatus {
    return { url: this.o.config.url, events: this.o.config.events?.length ? this.o.config.events : null, pending: this.queue.length, ...this.state };
  }

  /** Stops after the request in flight (aborted after `graceMs`); what is left stays in the outbox. */
  async stop(graceMs = 2_000): Promise<void> {
    this.stopped = true;
    this.wake?.();
    const abort = setTimeout(() => this.inflight?.abort(), graceMs);
    await this.running;
    clearTimeout(abort);
  }

  private kick(): void {
    if (this.stopped || this.active) return;
    this.active = true;
    this.running = this.drain().catch((err: Error) => {
      this.active = false;
      this.o.logger.error({ webhook: this.url, err: err.message }, 'webhook: sender stopped unexpectedly');
    });
  }

  private async drain(): Promise<void> {
    while (!this.stopped && this.queue.length) {
      const wait = (this.state.nextAttemptAt ?? 0) - this.o.clock.now();
      if (wait > 0) {
        await this.sleep(wait);
        continue;
      }
      const head = this.queue[0]!;
      const error = await this.post(head);
      if (this.stopped && error) break;
      if (!error) {
        this.settle(head, 'delivered');
        this.state.delivered++;
        this.state.consecutiveFailures = 0;
        this.state.lastSuccessAt = this.o.clock.now();
        continue;
      }
      this.tries++;
      this.state.consecutiveFailures++;
      this.state.lastFailureAt = this.o.clock.now();
      this.state.lastError = error;
      if (this.tries >= this.o.retry.maxAttempts) {
        this.o.logger.warn({ webhook: this.url, eventId: head.event.id, event: head.event.type, attempts: this.tries, err: error }, 'webhook: giving up on event');
        this.settle(head, 'dropped');
        this.state.dropped++;
        continue;
      }
      const delay = Math.min(this.o.retry.maxDelayMs, this.o.retry.firstDelayMs * 2 ** (this.tries - 1));
      this.state.nextAttemptAt = this.o.clock.now() + delay;
      this.o.logger.info({ webhook: this.url, eventId: head.event.id, attempt: this.tries, retryInMs: delay, err: error }, 'webhook: delivery failed, will retry');
    }
    // In the same turn the queue was last seen empty, so an enqueue from now on starts a new loop.
    this.active = false;
  }

  private settle(head: OutboxEntry, outcome: 'delivered' | 'dropped'): void {
    this.queue.shift();
    this.o.outbox.ack(head.seq, outcome);
    this.tries = 0;
    this.state.nextAttemptAt = null;
  }

  /** POSTs one event; resolves to null on a 2xx, or to what went wrong. */
  private async post(entry: OutboxEntry): Promise<string | null> {
    const body = JSON.stringify(entry.event);
    // Signed at send time, so a receiver's freshness check holds for retries too.
    const ts = Math.floor(this.o.clock.now() / 1000);
    this.inflight = new AbortController();
    const timer = setTimeout(() => this.inflight?.abort(), this.o.timeoutMs);
    try {
      const res = await fetch(this.o.config.url, {
        method: 'POST',
        body,
        redirect: 'manual',
        signal: this.inflight.signal,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Rebound-Webhooks/1',
          'x-rebound-event': entry.event.type,
          'x-rebound-delivery': entry.event.id,
          'x-rebound-timestamp': String(ts),
          'x-rebound-signature': signPayload(this.o.config.secret, ts, body),
        },
      });
      await res.arrayBuffer().catch(() => undefined);
      return res.status >= 200 && res.status < 300 ? null : `HTTP ${res.status}`;
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      if (e.name === 'AbortError') return this.stopped ? 'stopped' : `no answer within ${this.o.timeoutMs} ms`;
      return e.cause?.code ?? e.cause?.message ?? e.message;
    } finally {
      clearTimeout(timer);
      this.inflight = null;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }
}
