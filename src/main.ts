import path from 'node:path';
import type { Config } from './config.js';
import { DeliveryEngine, type MxResolver } from './delivery/index.js';
import { OutcomeRecorder } from './recipients/index.js';
import { Spool } from './spool/index.js';
import { LowdbStore, type Store } from './store/index.js';
import { SubmissionServer } from './submission/index.js';
import { systemClock, type Clock } from './util/clock.js';
import { createLogger, type Logger } from './util/logger.js';

export interface StartOptions {
  logger?: Logger;
  clock?: Clock;
  resolver?: MxResolver;
}

export function openStore(config: Config, logger: Logger, clock: Clock): LowdbStore {
  return new LowdbStore({
    dir: path.join(config.dataDir, 'store'), shards: config.store.shards, flushIntervalMs: config.store.flushIntervalMs,
    eventRetentionDays: config.store.eventRetentionDays, logger, clock,
  });
}

/** The wiring: starts every service from configuration and stops them in order. */
export class Rebound {
  private reclaimTimer: NodeJS.Timeout | null = null;

  private constructor(
    readonly config: Config,
    readonly logger: Logger,
    readonly store: Store,
    readonly spool: Spool,
    readonly delivery: DeliveryEngine,
    readonly submission: SubmissionServer,
    readonly ports: { submission: number; submissionSecure: number | null },
  ) {}

  static async start(config: Config, opts: StartOptions = {}): Promise<Rebound> {
    const logger = opts.logger ?? createLogger(config.log.level);
    const clock = opts.clock ?? systemClock;
    const store = openStore(config, logger, clock);
    await store.open();
    const spool = new Spool({
      dir: path.join(config.dataDir, 'spool'), quarantineDir: path.join(config.dataDir, 'quarantine'),
      segmentBytes: config.spool.segmentBytes, fsync: config.spool.fsync, logger,
    });
    const recovered = await spool.open();
    const delivery = new DeliveryEngine({
      config: config.delivery, returnPath: config.returnPath, hostname: config.hostname, spool, store,
      recorder: new OutcomeRecorder(store), logger, clock, ...(opts.resolver ? { resolver: opts.resolver } : {}),
    });
    delivery.resume(recovered);
    const submission = new SubmissionServer({
      config: config.submission, hostname: config.hostname, logger, clock,
      enqueue: async (envelope, raw) => {
        await spool.accept(envelope, raw);
        delivery.accepted(envelope, raw);
      },
    });
    const ports = await submission.start();
    const app = new Rebound(config, logger, store, spool, delivery, submission, { submission: ports.port, submissionSecure: ports.securePort });
    app.reclaimTimer = setInterval(() => {
      spool.reclaim().catch((err: Error) => logger.error({ err: err.message }, 'spool: reclaim failed'));
    }, 10_000);
    app.reclaimTimer.unref();
    logger.info({ submission: ports.port, submissionSecure: ports.securePort, mode: config.delivery.mode, dataDir: config.dataDir, queued: recovered.length }, 'rebound started');
    return app;
  }

  /** Stops accepting, lets deliveries in flight finish (bounded), flushes the store. */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (this.reclaimTimer) clearInterval(this.reclaimTimer);
    await Promise.all([this.submission.stop(), this.delivery.stop(timeoutMs)]);
    await this.store.close();
    await this.spool.close();
    this.logger.info('rebound stopped');
  }
}
