import os from 'node:os';
import path from 'node:path';
import type { Config } from './config.js';
import { recipientActions, type RecipientActions } from './control/actions.js';
import { controlCommands } from './control/commands.js';
import { createResender, type Resender } from './control/resend.js';
import { ControlServer } from './control/socket.js';
import { DeliveryEngine, type MxResolver } from './delivery/index.js';
import { newMessageRecord } from './delivery/message-record.js';
import { OutcomeRecorder } from './recipients/index.js';
import { ParsePool, ReportArchive, ReportProcessor, ReturnPathServer } from './returnpath/index.js';
import { RetainedMessages, Spool, type MessageQueue } from './spool/index.js';
import { LowdbStore, type Store } from './store/index.js';
import { PostgresStore } from './store/postgres/index.js';
import { PostgresQueue } from './store/postgres/delivery-queue.js';
import { PostgresDestinationSlots } from './store/postgres/destination-slots.js';
import { SubmissionServer } from './submission/index.js';
import { systemClock, type Clock } from './util/clock.js';
import { createLogger, type Logger } from './util/logger.js';
import { loadOrCreateSecret } from './util/secret-file.js';
import { ReconcileFollower } from './reconcile/index.js';
import { diagnoser, reconcileRunner, signInToken, startHttp, storeReadiness, type HttpServer } from './http/index.js';
import { ReboundMetrics } from './metrics/index.js';
import { WebhookDispatcher } from './webhooks/index.js';
import { systemMxResolver } from './delivery/route.js';
import { holdDataDir, type DataDirLock } from './datadir/index.js';
import type { Envelope } from './types.js';

export interface StartOptions {
  logger?: Logger;
  clock?: Clock;
  resolver?: MxResolver;
}

export function openStore(config: Config, logger: Logger, clock: Clock): Store {
  if (config.store.engine === 'postgres') {
    const pg = config.store.postgres;
    return new PostgresStore({ url: pg.url!, poolSize: pg.poolSize, nodeId: nodeIdOf(config), logger, clock });
  }
  return lowdbStoreOf(config, logger, clock);
}

/** The embedded store of the data directory (whatever store.engine says: `rebound migrate` reads it). */
export function lowdbStoreOf(config: Config, logger: Logger, clock: Clock): LowdbStore {
  return new LowdbStore({
    dir: path.join(config.dataDir, 'store'), shards: config.store.shards, flushIntervalMs: config.store.flushIntervalMs,
    compactIntervalMs: config.store.compactIntervalMs,
    eventRetentionDays: config.store.eventRetentionDays, logger, clock,
  });
}

/** The data directory's spool (the lowdb node's queue) and the copies it keeps for resend. */
export function spoolOf(config: Config, logger: Logger, storeDurable?: () => Promise<void>): { spool: Spool; retained: RetainedMessages } {
  const spool = new Spool({
    dir: path.join(config.dataDir, 'spool'), quarantineDir: path.join(config.dataDir, 'quarantine'),
    segmentBytes: config.spool.segmentBytes, fsync: config.spool.fsync, logger, ...(storeDurable ? { storeDurable } : {}),
  });
  return { spool, retained: new RetainedMessages(path.join(config.dataDir, 'retained'), config.store.eventRetentionDays) };
}

/** This node's name in leases and logs (several nodes on one database must each have their own). */
export function nodeIdOf(config: Config): string {
  return config.store.postgres.nodeId ?? `${os.hostname()}-${process.pid}`;
}

/** Copies of finished messages kept for resend: files per node, or the bodies the database keeps. */
type MessageCopies = Pick<RetainedMessages, 'get' | 'prune'>;

/**
 * The delivery queue for the store in use: the local spool for lowdb; for PostgreSQL the queue
 * every node shares, connection slots per destination shared by all nodes, and message copies
 * read from the database. `retain` keeps a copy of a message some recipients did not get; the
 * database keeps every body until its message record is pruned, so there it has nothing to do.
 */
function openQueue(config: Config, store: Store, logger: Logger): {
  queue: MessageQueue; slots: PostgresDestinationSlots | null; copies: MessageCopies; retain?: (queueId: string, raw: Buffer) => Promise<void>;
} {
  if (store instanceof PostgresStore) {
    const o = { db: store, nodeId: nodeIdOf(config), leaseMs: config.store.postgres.leaseMs, logger };
    const queue = new PostgresQueue({ ...o, recordAccepted: (env) => store.putMessage(newMessageRecord(env)) });
    const copies: MessageCopies = { get: (id) => queue.readRaw(id).catch(() => null), prune: async () => 0 };
    return { queue, slots: new PostgresDestinationSlots(o), copies };
  }
  const { spool, retained } = spoolOf(config, logger, () => store.durable());
  return { queue: spool, slots: null, copies: retained, retain: (queueId, raw) => retained.keep(queueId, raw) };
}

export function controlSocketPath(config: Config): string {
  return path.join(config.dataDir, 'control.sock');
}

/** The VERP secret in force: configured, or made once and kept in the data directory. */
function resolveSecret(config: Config): string | null {
  if (!config.returnPath.domain) return config.returnPath.secret;
  return config.returnPath.secret ?? loadOrCreateSecret(path.join(config.dataDir, 'return-path.key'));
}

interface Services {
  store: Store;
  spool: MessageQueue;
  slots: PostgresDestinationSlots | null;
  delivery: DeliveryEngine;
  submission: SubmissionServer;
  returnPath: ReturnPathServer | null;
  parsePool: ParsePool | null;
  reports: ReportProcessor;
  control: ControlServer;
  actions: RecipientActions;
  acceptedListeners: Array<(e: Envelope) => void>;
  resender: Resender;
  follower: ReconcileFollower | null;
  metrics: ReboundMetrics;
  webhooks: WebhookDispatcher;
  dataDirLock: DataDirLock;
}

/** The wiring: starts every service from configuration and stops them in order. */
export class Rebound {
  private timers: NodeJS.Timeout[] = [];

  private constructor(
    readonly config: Config,
    readonly logger: Logger,
    private readonly s: Services,
    readonly ports: { submission: number; submissionSecure: number | null; returnPath: number | null; http: number | null },
  ) {}

  http: HttpServer | null = null;
  /** With no http.tokens on a loopback listener: a link that signs the dashboard in, valid while this process runs. */
  signInUrl: string | null = null;
  stopping = false;

  get webhooks(): WebhookDispatcher {
    return this.s.webhooks;
  }

  get store(): Store {
    return this.s.store;
  }
  /** The delivery queue: the local spool, or the queue shared with the other nodes. */
  get spool(): MessageQueue {
    return this.s.spool;
  }
  get delivery(): DeliveryEngine {
    return this.s.delivery;
  }
  get reports(): ReportProcessor {
    return this.s.reports;
  }
  get actions(): RecipientActions {
    return this.s.actions;
  }

  /** Queues a message again for the given recipients (after the cause of a failure was fixed). Returns the new queue id. */
  resend(queueId: string, rcpts: string[]): Promise<string> {
    return this.s.resender.resend(queueId, rcpts);
  }

  /** Resends every message to this address that did not get through. */
  resendTo(email: string): Promise<Array<{ from: string; queueId: string }>> {
    return this.s.resender.resendTo(email);
  }

  /** Tells the listener about every message submission accepted (after it is durable). */
  onAccepted(listener: (e: Envelope) => void): void {
    this.s.acceptedListeners.push(listener);
  }

  static async start(input: Config, opts: StartOptions = {}): Promise<Rebound> {
    // Before anything touches the data directory: one server per directory.
    const lock = await holdDataDir(input.dataDir);
    return Rebound.startHolding(input, opts, lock).catch(async (err: unknown) => {
      await lock.release();
      throw err;
    });
  }

  private static async startHolding(input: Config, opts: StartOptions, dataDirLock: DataDirLock): Promise<Rebound> {
    const config: Config = { ...input, returnPath: { ...input.returnPath, secret: resolveSecret(input) } };
    const logger = opts.logger ?? createLogger(config.log.level);
    const clock = opts.clock ?? systemClock;
    const store = openStore(config, logger, clock);
    await store.open();
    const { queue: spool, slots, copies: retained, retain } = openQueue(config, store, logger);
    const recovered = await spool.open();
    slots?.start();
    // Listeners on the store's events start before anything can happen, so none is missed.
    const queueView = { queued: () => delivery.queued() };
    const metrics = new ReboundMetrics({ store, queue: queueView, clock });
    metrics.start();
    const { timeoutMs: webhookTimeoutMs, ...webhookRetry } = config.webhookDelivery;
    const webhooks = new WebhookDispatcher({
      dir: path.join(config.dataDir, 'webhooks'), endpoints: config.webhooks, store, logger, clock, retry: webhookRetry, timeoutMs: webhookTimeoutMs,
    });
    const webhooksStarted = webhooks.start();
    const hold = config.submission.suppressed === 'hold';
    // Through a smarthost a 250 is acceptance: flags wait for evidence of final delivery.
    const recorder = new OutcomeRecorder(store, { acceptance: config.delivery.mode === 'smarthost' ? 'accepted' : 'final' });
    const delivery = new DeliveryEngine({
      config: config.delivery, returnPath: config.returnPath, hostname: config.hostname, queue: spool, store,
      claimIntervalMs: config.store.postgres.claimIntervalMs, ...(slots ? { slots } : {}),
      recorder, logger, clock, ...(opts.resolver ? { resolver: opts.resolver } : {}),
      ...(hold ? { isHeld: async (rcpt: string) => !!(await store.getRecipient(rcpt))?.suppressed } : {}),
      ...(retain ? { retain } : {}),
    });
    await delivery.resume(recovered);
    const actions = recipientActions(store, () => clock.now(), (email) => {
      delivery.retryRecipient(email).catch((err: Error) => logger.warn({ err: err.message, rcpt: email }, 'delivery: could not release held messages'));
    });

    const domains = [...(config.returnPath.domain ? [config.returnPath.domain] : []), ...config.returnPath.acceptDomains];
    const archive = new ReportArchive(path.join(config.dataDir, 'reports'), config.returnPath.retentionDays, config.returnPath.archiveMaxBytes);
    await archive.open();
    const verpDomain = config.returnPath.domain;
    // Only the running return path needs parser threads (they are started here, ended in stop()).
    const parsePool = domains.length ? new ParsePool(config.returnPath.parseWorkers, config.returnPath.parseTimeoutMs, logger) : null;
    const reports = new ReportProcessor({
      store, archive, logger, clock, durableWaitMs: config.returnPath.durableWaitMs,
      ...(parsePool ? { parse: (raw: Buffer) => parsePool.parse(raw) } : {}),
      correlation: {
        store, secret: config.returnPath.secret, domains: domains.map((d) => d.toLowerCase()),
        // With VERP on, every message with a sender was sent with a signed return path.
        sentWithVerp: (m) => !!verpDomain && m.from !== '',
      },
    });
    const returnPath = domains.length
      ? new ReturnPathServer({ config: config.returnPath, tls: config.submission.tls, hostname: config.hostname, domains, processor: reports, logger, clock })
      : null;

    const acceptedListeners: Array<(e: Envelope) => void> = [(e) => metrics.accepted(e)];
    // Durable first, then delivery and the listeners: what submission and resend both do.
    const enqueue = async (envelope: Envelope, raw: Buffer): Promise<void> => {
      await spool.accept(envelope, raw);
      // The spool holds the message durably: that is what the 250 promises. The store's record of
      // it is derived (adopt() rebuilds it from the spool after a crash), so the reply does not
      // wait for its commit: waiting cost 12 % of relayed msg/s on lowdb (bench:relay 1692 -> 1460).
      delivery.accepted(envelope, raw).catch((err: Error) => logger.error({ queueId: envelope.queueId, err: err.message }, 'store: could not record an accepted message'));
      for (const l of acceptedListeners) l(envelope);
    };
    const submission = new SubmissionServer({
      config: config.submission, hostname: config.hostname, logger, clock, enqueue,
      checkRecipient: async (rcpt) => {
        if (hold) return null;
        const r = await store.getRecipient(rcpt);
        if (!r?.suppressed) return null;
        return { code: 550, enhanced: '5.7.1', text: `<${rcpt}> is on the suppression list (${r.suppressedReason ?? 'suppressed'}); lift it with \`rebound unsuppress ${rcpt}\`` };
      },
    });
    const resender = createResender({ store, spool, retained, clock, logger, enqueue });
    const control = new ControlServer(controlSocketPath(config), controlCommands({ store, actions, delivery, resender, clock, reconcileChain: { relays: config.reconcile.relays, skewMs: config.reconcile.skewMs } }), logger);

    await webhooksStarted;
    const ports = await submission.start();
    const rpPort = returnPath ? await returnPath.start() : null;
    await control.start();
    const rc = config.reconcile;
    const follower = rc.follow.length === 0 ? null : new ReconcileFollower(store, rc.follow, {
      logger, clock, pollMs: rc.pollMs, startAt: rc.startAt, relays: rc.relays, skewMs: rc.skewMs,
      ...(rc.format ? { format: rc.format } : {}), ...(rc.utcOffsetMinutes !== null ? { utcOffsetMinutes: rc.utcOffsetMinutes } : {}),
    });
    // Not awaited: the first read of a long log must not hold up start-up.
    follower?.start().catch((err: Error) => logger.error({ err: err.message }, 'reconcile: follower failed to start'));
    const app = new Rebound(config, logger, { store, spool, slots, delivery, submission, returnPath, parsePool, reports, control, actions, acceptedListeners, resender, follower, metrics, webhooks, dataDirLock }, {
      submission: ports.port, submissionSecure: ports.securePort, returnPath: rpPort, http: null,
    });
    if (config.http.enabled) {
      const oneTime = signInToken(config.http);
      app.http = await startHttp({
        config: config.http, store, actions, delivery, logger, clock, resender, ...(oneTime ? { signInToken: oneTime } : {}),
        resolver: opts.resolver ?? systemMxResolver(config.delivery.dnsServers),
        diagnose: diagnoser(store), reconcile: reconcileRunner(store, { relays: config.reconcile.relays, skewMs: config.reconcile.skewMs }), metrics, webhooks,
        readiness: () => ({ store: app.stopping ? false : storeReadiness(store), listeners: !app.stopping }),
      });
      app.ports.http = app.http.port;
      if (oneTime) app.signInUrl = `${app.http.url}/#signin=${oneTime}`;
    }
    app.every(10_000, () => spool.reclaim().then(() => undefined));
    // A few checks per window, at most once a minute.
    app.every(Math.min(60_000, Math.max(250, config.returnPath.bounceWindowMs / 4)), async () => {
      const cleared = await recorder.settleAwaiting(clock.now(), config.returnPath.bounceWindowMs);
      if (cleared) logger.info({ cleared }, 'recipients: flags cleared, no bounce within the bounce window after the smarthost accepted');
    });
    app.every(3_600_000, () => archive.prune(clock.now()).then(() => retained.prune(clock.now())).then(() => undefined));
    logger.info({
      submission: ports.port, submissionSecure: ports.securePort, returnPath: rpPort, http: app.ports.http, mode: config.delivery.mode,
      dataDir: config.dataDir, queued: recovered.length, store: store.engine, ...(store.engine === 'postgres' ? { node: nodeIdOf(config) } : {}),
    }, 'rebound started');
    return app;
  }

  private every(ms: number, fn: () => Promise<void>): void {
    const t = setInterval(() => fn().catch((err: Error) => this.logger.error({ err: err.message }, 'periodic task failed')), ms);
    t.unref();
    this.timers.push(t);
  }

  /** Stops accepting, lets deliveries in flight finish (bounded), flushes the store. */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.stopping = true;
    for (const t of this.timers) clearInterval(t);
    await this.http?.close();
    await Promise.all([this.s.submission.stop(), this.s.returnPath?.stop(), this.s.control.stop(), this.s.delivery.stop(timeoutMs), this.s.follower?.stop()]);
    await this.s.parsePool?.close();
    await this.s.webhooks.stop();
    this.s.metrics.stop();
    // The shared queue and slots hand their leases back through the store: before it closes.
    await this.s.spool.close();
    await this.s.slots?.stop();
    await this.s.store.close();
    await this.s.dataDirLock.release();
    this.logger.info('rebound stopped');
  }
}
