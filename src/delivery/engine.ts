import type { Config } from '../config.js';
import { categoryOf } from '../classify/index.js';
import type { OutcomeRecorder } from '../recipients/index.js';
import type { MessageQueue, SpooledMessage, SpoolState } from '../spool/index.js';
import type { Store } from '../store/index.js';
import type { Attempt, Envelope, IntegrationCause, MessageRecipient, MessageRecord } from '../types.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { addressKey } from '../util/address-key.js';
import { ConnectionPool } from './connection-pool.js';
import type { DestinationSlots } from './destination-slots.js';
import { MinHeap } from './min-heap.js';
import { describeError, fromReply, integrationCause, judge, mailRejectionCause, type RawOutcome } from './outcome.js';
import { backoffMs, isExpired } from './retry-policy.js';
import { mxRoute, smarthostRoute, systemMxResolver, type Destination, type MxResolver, type Route } from './route.js';
import { refusalStage, resetSession, sendTransaction, type DsnRequest, type SmtpClientError, type UpstreamSession } from './smtp-client.js';
import { makeReturnPath } from './verp.js';
import { newMessageRecord } from './message-record.js';

export interface DeliveryDeps {
  config: Config['delivery'];
  returnPath: Config['returnPath'];
  hostname: string;
  /** The local spool, or the queue several nodes share (then due messages come by claim). */
  queue: MessageQueue;
  /** With a shared queue: how often to claim due messages nobody holds. */
  claimIntervalMs?: number;
  /** With several nodes: connection slots per destination shared by all of them. */
  slots?: DestinationSlots;
  store: Store;
  recorder: OutcomeRecorder;
  logger: Logger;
  clock: Clock;
  resolver?: MxResolver;
  /** Recipients held back (suppressed, in "hold" mode): they stay queued until released. */
  isHeld?: (rcpt: string) => Promise<boolean>;
  /** Keeps a copy of a finished message some recipients did not get (for resend). */
  retain?: (queueId: string, raw: Buffer) => Promise<void>;
}

const FINAL = new Set<MessageRecipient['status']>(['delivered', 'bounced', 'expired']);

/**
 * The queue manager: takes due messages from the queue, routes them, sends them over pooled
 * upstream sessions, and records every reply per recipient. Each recipient keeps its own fate:
 * deferred ones are retried on the backoff schedule, final ones are never tried again.
 */
export class DeliveryEngine {
  private readonly heap = new MinHeap<string>();
  private readonly dueAt = new Map<string, number>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly rawCache = new Map<string, Buffer>();
  /** Records of messages this node just accepted, until their first attempt (saves reading back what was just written). */
  private readonly freshRecords = new Map<string, MessageRecord>();
  /** Destinations that just failed at connection level, and until when no new connection is tried. */
  private readonly suspended = new Map<string, { until: number; cause: IntegrationCause; err: SmtpClientError }>();
  private readonly pool: ConnectionPool;
  private readonly resolver: MxResolver;
  private readonly maxInflight: number;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  private claimTimer: NodeJS.Timeout | null = null;
  private claiming = false;
  private stopped = false;

  constructor(private readonly deps: DeliveryDeps) {
    const c = deps.config;
    this.pool = new ConnectionPool(
      {
        maxConnections: c.maxConnections, maxPerDestination: c.maxConnectionsPerDestination,
        messagesPerConnection: c.messagesPerConnection, idleTimeoutMs: c.idleTimeoutMs,
      },
      {
        heloName: c.heloName ?? deps.hostname, connectTimeoutMs: c.connectTimeoutMs,
        greetingTimeoutMs: c.greetingTimeoutMs, socketTimeoutMs: c.socketTimeoutMs,
      },
      deps.slots,
    );
    this.resolver = deps.resolver ?? systemMxResolver(c.dnsServers);
    this.maxInflight = c.maxConnections * 4;
  }

  /** Queued messages (on every node, with a shared queue) and when each will be tried next. */
  async queued(): Promise<Array<SpooledMessage & { nextAttemptAt: number; running: boolean }>> {
    return (await this.deps.queue.listAll()).map((m) => ({
      ...m, nextAttemptAt: this.dueAt.get(m.envelope.queueId) ?? m.state.nextAttemptAt, running: this.running.has(m.envelope.queueId),
    }));
  }

  /** Resumes what the spool held at start-up; with a shared queue, starts claiming due messages. */
  async resume(recovered: SpooledMessage[]): Promise<void> {
    // Adopted together: their record writes share group commits instead of one commit each in turn.
    await Promise.all(recovered.map((m) => this.adopt(m, m.state.nextAttemptAt || this.deps.clock.now())));
    this.deps.logger.info({ resumed: recovered.length }, 'delivery: resumed spooled messages');
    if (this.deps.queue.shared) {
      this.claimTimer = setInterval(() => void this.claim(), this.deps.claimIntervalMs ?? 500);
      this.claimTimer.unref();
      void this.claim();
    }
  }

  /** Takes a message this node now holds into the schedule. */
  private async adopt(m: SpooledMessage, at: number): Promise<void> {
    const env = m.envelope;
    const rec = (await this.deps.store.getMessage(env.queueId)) ?? newMessageRecord(env);
    // The store may know outcomes the queue state missed (crash between the two writes).
    const done = new Set(m.state.done);
    for (const r of rec.rcpts) if (FINAL.has(r.status)) done.add(r.rcpt);
    m.state.done = [...done];
    if (env.rcpts.every((r) => done.has(r))) {
      void this.finish(env, rec).catch((err: Error) => this.deps.logger.error({ queueId: env.queueId, err: err.message }, 'delivery: could not finish a resumed message'));
      return;
    }
    this.schedule(env.queueId, at);
    await this.deps.store.putMessage(rec);
  }

  /** Shared queue: claims due messages nobody holds, as many as there is room for in flight. */
  private async claim(): Promise<void> {
    if (this.claiming || this.stopped) return;
    this.claiming = true;
    try {
      const room = this.maxInflight - this.running.size - this.dueAt.size;
      const got = await this.deps.queue.claim(room, this.deps.clock.now());
      await Promise.all(got.map((m) => this.adopt(m, this.deps.clock.now())));
    } catch (err) {
      this.deps.logger.warn({ err: (err as Error).message }, 'delivery: could not claim due messages; will try again');
    } finally {
      this.claiming = false;
    }
  }

  /**
   * Called once the message is durable in the queue (this node holds it); resolves once the
   * store's record of it is durable too. Delivery may start before (the queue is the truth; the
   * record is rebuilt from it by adopt()).
   */
  accepted(envelope: Envelope, raw: Buffer): Promise<void> {
    this.rawCache.set(envelope.queueId, raw);
    const rec = newMessageRecord(envelope);
    this.freshRecords.set(envelope.queueId, rec);
    // A queue that writes the record in the message's own commit leaves nothing to do here.
    const stored = this.deps.queue.recordsAccepted ? Promise.resolve() : this.deps.store.putMessage(rec);
    this.schedule(envelope.queueId, this.deps.clock.now());
    return stored;
  }

  /**
   * Tries now the messages that still wait for `email` (any spelling): what a hold kept back for
   * it is released when its suppression is lifted, and nothing else jumps its backoff.
   */
  async retryRecipient(email: string): Promise<number> {
    const key = addressKey(email);
    const waitsFor = (m: SpooledMessage) => {
      const done = new Set(m.state.done);
      return m.envelope.rcpts.some((r) => !done.has(r) && addressKey(r) === key);
    };
    return this.makeDue(waitsFor);
  }

  /** Tries a message (or all deferred ones) now instead of waiting for its schedule. */
  async retryNow(queueId?: string): Promise<number> {
    return this.makeDue((m) => !queueId || m.envelope.queueId === queueId);
  }

  private async makeDue(select: (m: SpooledMessage) => boolean): Promise<number> {
    const now = this.deps.clock.now();
    let n = 0;
    for (const id of [...this.dueAt.keys()]) {
      const m = this.deps.queue.get(id);
      if (!m || !select(m)) continue;
      this.schedule(id, now);
      n++;
    }
    // With a shared queue, messages no node holds wait in the database: make them due there.
    if (this.deps.queue.shared) {
      n += await this.deps.queue.makeDue(select, now);
      void this.claim();
    }
    return n;
  }

  /**
   * Takes a message out of the queue (operator action). Its unfinished recipients end as expired
   * with a reply saying so; as an integration cause, that never counts against the recipients.
   */
  async remove(queueId: string): Promise<boolean> {
    if (this.running.has(queueId)) return false;
    // A shared queue's message may be waiting unheld: take it first, so no other node starts it.
    const spooled = this.deps.queue.get(queueId) ?? (this.deps.queue.shared ? await this.deps.queue.take(queueId) : undefined);
    if (!spooled || this.running.has(queueId)) return false;
    this.dueAt.delete(queueId);
    const env = spooled.envelope;
    const now = this.deps.clock.now();
    const rec = await this.recordOf(env);
    const attempts: Attempt[] = [];
    for (const r of rec.rcpts) {
      if (FINAL.has(r.status)) continue;
      const a: Attempt = {
        queueId, messageId: env.messageId, rcpt: r.rcpt, attempt: r.attempts, stage: 'expiry', code: null, enhanced: null,
        response: 'deleted from the queue by an operator', mx: null, ip: null, tls: false, startedAt: now, finishedAt: now,
        status: 'expired', reason: 'expired', category: categoryOf('expired'), hard: false, integration: 'operator',
      };
      attempts.push(a);
      Object.assign(r, { status: 'expired', lastResponse: a.response, updatedAt: now });
    }
    rec.nextAttemptAt = null;
    await this.finish(env, rec, attempts);
    this.deps.logger.info({ queueId }, 'delivery: message deleted from the queue by an operator');
    return true;
  }

  private schedule(queueId: string, at: number): void {
    if (this.stopped) return;
    this.dueAt.set(queueId, at);
    this.heap.push(at, queueId);
    if (at <= this.deps.clock.now()) setImmediate(() => this.pump());
    else this.arm();
  }

  private arm(): void {
    const next = this.heap.peekKey();
    if (next === undefined || next >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = next;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerAt = Infinity;
      this.pump();
    }, Math.max(0, next - this.deps.clock.now()));
    this.timer.unref();
  }

  private pump(): void {
    const now = this.deps.clock.now();
    while (!this.stopped && this.running.size < this.maxInflight && (this.heap.peekKey() ?? Infinity) <= now) {
      const id = this.heap.pop()!;
      const due = this.dueAt.get(id);
      if (due === undefined || due > now || this.running.has(id)) continue; // stale heap entry
      this.dueAt.delete(id);
      const p = this.deliver(id)
        .catch((err: Error) => {
          this.deps.logger.error({ queueId: id, err: err.message }, 'delivery: attempt failed unexpectedly, will retry');
          this.schedule(id, this.deps.clock.now() + this.deps.config.retry.firstDelayMs);
        })
        .finally(() => {
          this.running.delete(id);
          setImmediate(() => this.pump());
        });
      this.running.set(id, p);
    }
    this.arm();
  }

  private async deliver(queueId: string): Promise<void> {
    const spooled = this.deps.queue.get(queueId);
    if (!spooled) return;
    const env = spooled.envelope;
    const state: SpoolState = { ...spooled.state, done: [...spooled.state.done], attempts: { ...spooled.state.attempts } };
    const done = new Set(state.done);
    const waiting = [...new Set(env.rcpts)].filter((r) => !done.has(r));
    const isHeld = this.deps.isHeld;
    const held = isHeld ? await Promise.all(waiting.map((r) => isHeld(r))) : null;
    const pending = held ? waiting.filter((_, i) => !held[i]) : waiting;
    if (pending.length === 0) {
      // Everyone left is held: look again later without spending an attempt.
      const later = this.deps.clock.now() + this.deps.config.retry.firstDelayMs;
      if (this.deps.queue.shared) await this.deps.queue.settle(queueId, { ...state, nextAttemptAt: later }, async () => undefined);
      else this.schedule(queueId, later);
      return;
    }
    const raw = this.rawCache.get(queueId) ?? (await this.deps.queue.readRaw(queueId));
    const attemptNo = new Map(pending.map((r) => [r, (state.attempts[r] ?? 0) + 1]));
    const startedAt = this.deps.clock.now();

    const groups = new Map<string, string[]>();
    for (const r of pending) {
      const key = this.deps.config.mode === 'mx' ? r.slice(r.lastIndexOf('@') + 1).toLowerCase() : '';
      let g = groups.get(key);
      if (!g) groups.set(key, (g = []));
      g.push(r);
    }
    const outcomes = (await Promise.all([...groups].map(([domain, rcpts]) => this.deliverGroup(env, domain, rcpts, raw)))).flat();

    const now = this.deps.clock.now();
    const rec = await this.recordOf(env);
    const attempts: Attempt[] = [];
    for (const o of outcomes) {
      const n = attemptNo.get(o.outcome.rcpt) ?? 1;
      let verdict = judge(o.outcome);
      if (verdict.status === 'deferred' && isExpired(this.deps.config.retry, env.receivedAt, now)) {
        verdict = { status: 'expired', reason: 'expired', category: categoryOf('expired'), hard: false };
      }
      const a: Attempt = {
        queueId, messageId: env.messageId, rcpt: o.outcome.rcpt, attempt: n, stage: o.outcome.stage,
        code: o.outcome.code, enhanced: o.outcome.enhanced, response: o.outcome.response, mx: o.mx, ip: o.ip, tls: o.tls,
        startedAt, finishedAt: now, ...verdict,
        ...(o.outcome.integration ? { integration: o.outcome.integration } : {}),
      };
      attempts.push(a);
      state.attempts[a.rcpt] = n;
      if (a.status !== 'deferred') done.add(a.rcpt);
      this.deps.logger.info({
        queueId, messageId: env.messageId, rcpt: a.rcpt, status: a.status, code: a.code, enhanced: a.enhanced,
        response: a.response, mx: a.mx, attempt: n, delayMs: now - env.receivedAt, reason: a.reason, integration: a.integration,
      }, 'delivery');
      const r = rec.rcpts.find((x) => x.rcpt === a.rcpt);
      if (r) Object.assign(r, { status: a.status, attempts: n, lastCode: a.code, lastEnhanced: a.enhanced, lastResponse: a.response, lastMx: a.mx, updatedAt: now });
    }
    state.done = [...done];
    this.rawCache.delete(queueId);

    if (env.rcpts.every((r) => done.has(r))) {
      await this.finish(env, rec, attempts);
      return;
    }
    const maxAttempts = Math.max(1, ...pending.filter((r) => !done.has(r)).map((r) => state.attempts[r] ?? 1));
    state.nextAttemptAt = now + backoffMs(this.deps.config.retry, maxAttempts);
    rec.nextAttemptAt = state.nextAttemptAt;
    await this.deps.queue.settle(queueId, state, async () => this.record(attempts, rec));
    // A shared queue released the message: whichever node claims it when due tries it next.
    if (!this.deps.queue.shared) this.schedule(queueId, state.nextAttemptAt);
  }

  /**
   * The message's store record. Before its first attempt nothing but this node has touched it (no
   * report can be about a message never sent), so the record it wrote at acceptance is the record
   * and is not read back.
   */
  private async recordOf(env: Envelope): Promise<MessageRecord> {
    const fresh = this.freshRecords.get(env.queueId);
    if (fresh) {
      this.freshRecords.delete(env.queueId);
      return fresh;
    }
    return (await this.deps.store.getMessage(env.queueId)) ?? newMessageRecord(env);
  }

  /**
   * The store writes of one delivery: its attempts (each one atomic update of its recipient) and
   * the message record, issued together and awaited together (one group commit on lowdb).
   */
  private async record(attempts: Attempt[], rec: MessageRecord): Promise<void> {
    await Promise.all([...attempts.map((a) => this.deps.recorder.recordAttempt(a)), this.deps.store.putMessage(rec)]);
  }

  private async finish(env: Envelope, rec: MessageRecord, attempts: Attempt[] = []): Promise<void> {
    if (this.deps.retain && rec.rcpts.some((r) => r.status === 'bounced' || r.status === 'expired')) {
      const raw = await this.deps.queue.readRaw(env.queueId).catch(() => null);
      if (raw) await this.deps.retain(env.queueId, raw);
    }
    await this.deps.queue.settle(env.queueId, 'done', async () => this.record(attempts, { ...rec, status: 'done', nextAttemptAt: null }));
  }

  private async route(domain: string): Promise<Route> {
    if (this.deps.config.mode === 'smarthost') return smarthostRoute(this.deps.config.smarthost);
    return mxRoute(this.resolver, domain, this.deps.config.mxPort);
  }

  private returnPathFor(env: Envelope, rcpt: string): string {
    const rp = this.deps.returnPath;
    if (!rp.domain || !rp.secret || env.from === '') return env.from;
    return makeReturnPath(rp.secret, rp.domain, env.queueId, env.rcpts.indexOf(rcpt), rcpt);
  }

  /** Delivers to the recipients of one routing group; always returns one outcome per recipient. */
  private async deliverGroup(env: Envelope, domain: string, rcpts: string[], raw: Buffer): Promise<Array<{ outcome: RawOutcome; mx: string | null; ip: string | null; tls: boolean }>> {
    const route = await this.route(domain);
    if (!route.ok) {
      return rcpts.map((rcpt) => ({
        outcome: { rcpt, stage: 'connect', code: route.code, enhanced: route.enhanced, response: `${route.code} ${route.enhanced} ${route.text}`, permanent: route.permanent },
        mx: null, ip: null, tls: false,
      }));
    }
    let lastErr: { cause: IntegrationCause; dest: Destination; err: SmtpClientError } | null = null;
    for (const dest of route.destinations) {
      const down = this.suspended.get(dest.key);
      if (down && down.until > this.deps.clock.now()) {
        // Like Postfix's "delivery temporarily suspended": no new connection to a host that just
        // failed; each message still gets its own attempt and schedule.
        const e: SmtpClientError = { ...down.err, name: 'Error', message: `delivery temporarily suspended: ${describeError(down.err).response}` };
        delete e.response;
        lastErr = { cause: down.cause, dest, err: e };
        await this.reportIntegration(env, dest, down.cause, e, rcpts);
        continue;
      }
      let session: UpstreamSession;
      try {
        session = await this.pool.acquire(dest);
      } catch (err) {
        const e = err as SmtpClientError;
        lastErr = { cause: integrationCause(e), dest, err: e };
        await this.reportIntegration(env, dest, lastErr.cause, e, rcpts);
        // Next MX only for connection-level trouble; an AUTH or TLS refusal would repeat.
        if (lastErr.cause === 'connection' || lastErr.cause === 'timeout' || lastErr.cause === 'greeting' || lastErr.cause === 'dns') {
          this.suspended.set(dest.key, { until: this.deps.clock.now() + Math.min(this.deps.config.retry.firstDelayMs, 60_000), cause: lastErr.cause, err: e });
          continue;
        }
        break;
      }
      this.suspended.delete(dest.key);
      try {
        return await this.transact(env, session, rcpts, raw);
      } finally {
        this.pool.release(session);
      }
    }
    const d = lastErr ? describeError(lastErr.err) : { code: null, enhanced: null, response: 'no destination' };
    return rcpts.map((rcpt) => ({
      outcome: { rcpt, stage: 'connect', code: d.code, enhanced: d.enhanced, response: d.response, integration: lastErr?.cause ?? 'connection' },
      mx: lastErr?.dest.host ?? null, ip: null, tls: false,
    }));
  }

  private async reportIntegration(env: Envelope, dest: Destination, cause: IntegrationCause, err: SmtpClientError, rcpts: string[]): Promise<void> {
    const d = describeError(err);
    const recorded = this.deps.recorder.recordIntegration({ queueId: env.queueId, cause, mx: dest.host, code: d.code, response: d.response, rcpts, time: this.deps.clock.now() });
    this.deps.logger.warn({ queueId: env.queueId, mx: dest.host, port: dest.port, cause, code: d.code, response: d.response }, 'delivery: integration error (not the recipients\' fault)');
    await recorded;
  }

  /** Runs the transactions on one session: one per recipient with VERP, else one for all. */
  private async transact(env: Envelope, s: UpstreamSession, rcpts: string[], raw: Buffer): Promise<Array<{ outcome: RawOutcome; mx: string | null; ip: string | null; tls: boolean }>> {
    const perRcpt = !!(this.deps.returnPath.domain && this.deps.returnPath.secret && env.from !== '');
    const batches = perRcpt ? rcpts.map((r) => [r]) : [rcpts];
    const out: Array<{ outcome: RawOutcome; mx: string | null; ip: string | null; tls: boolean }> = [];
    const at = { mx: s.dest.host, ip: s.ip, tls: s.tls };
    for (let i = 0; i < batches.length; i++) {
      const batch = batches[i]!;
      if (s.broken) {
        for (const rcpt of batch) out.push({ outcome: { rcpt, stage: 'connect', code: null, enhanced: null, response: 'connection lost before this transaction', integration: 'connection' }, ...at });
        continue;
      }
      const from = this.returnPathFor(env, batch[0]!);
      // Through a smarthost a 250 is acceptance; ask for the notice that proves delivery (or failure).
      const dsn = s.dest.kind === 'smarthost' && this.deps.config.requestDsn ? { notify: ['SUCCESS', 'FAILURE'] as DsnRequest['notify'], ret: 'HDRS' as const, envid: env.queueId } : undefined;
      const res = await sendTransaction(s, from, batch, raw, dsn);
      if (res.sessionError) {
        const cause = integrationCause(res.sessionError);
        await this.reportIntegration(env, s.dest, cause, res.sessionError, batch);
        const d = describeError(res.sessionError);
        const stage = res.sessionError.command === 'RCPT TO' ? 'rcpt' : refusalStage(res.sessionError.command ?? '', res.sessionError.code) ?? 'connect';
        for (const rcpt of batch) out.push({ outcome: { rcpt, stage, code: d.code, enhanced: d.enhanced, response: d.response, integration: cause }, ...at });
        continue;
      }
      for (const rcpt of res.accepted) out.push({ outcome: fromReply(rcpt, 'eod', res.dataResponse ?? '250'), ...at });
      const mailRefusal = res.rejected.find((r) => r.stage === 'mail');
      const mailCause = mailRefusal ? mailRejectionCause(mailRefusal.response) : null;
      for (const r of res.rejected) {
        const o = fromReply(r.rcpt, r.stage, r.response);
        // A MAIL FROM refused for our configuration (TLS, AUTH, sender) is not the recipient's doing.
        if (r.stage === 'mail' && mailCause) o.integration = mailCause;
        out.push({ outcome: o, ...at });
      }
      if (mailRefusal && mailCause) {
        await this.reportIntegration(env, s.dest, mailCause, { name: 'Error', message: mailRefusal.response, response: mailRefusal.response }, batch);
      }
      // A refused transaction leaves the session mid-envelope; RSET before reusing it.
      if (res.rejected.length && !(await resetSession(s))) s.broken = true;
    }
    return out;
  }

  /** Stops taking new work and waits (bounded) for deliveries in flight. */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.claimTimer) clearInterval(this.claimTimer);
    const all = Promise.allSettled([...this.running.values()]);
    await Promise.race([all, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    await this.pool.close();
  }
}
