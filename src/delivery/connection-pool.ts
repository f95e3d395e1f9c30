import type { DestinationSlots } from './destination-slots.js';
import type { Destination } from './route.js';
import { closeSession, openSession, type ClientOptions, type UpstreamSession } from './smtp-client.js';

interface Idle {
  session: UpstreamSession;
  timer: NodeJS.Timeout;
}

interface Waiter {
  dest: Destination;
  resolve: (s: UpstreamSession) => void;
  reject: (e: Error) => void;
}

export interface PoolLimits {
  maxConnections: number;
  maxPerDestination: number;
  messagesPerConnection: number;
  idleTimeoutMs: number;
}

/**
 * Upstream sessions, reused per destination. At most `maxPerDestination` sessions to one
 * destination and `maxConnections` overall; callers beyond that wait their turn (FIFO). With
 * shared `slots` (several nodes), each session also holds one of the destination's cluster-wide
 * slots from before it connects until it is closed.
 */
export class ConnectionPool {
  private readonly idle = new Map<string, Idle[]>();
  private readonly open = new Map<string, number>();
  private total = 0;
  private waiters: Waiter[] = [];
  private closed = false;
  /** The cluster-wide slot each open session holds (only with shared slots). */
  private readonly slotOf = new WeakMap<UpstreamSession, number>();

  constructor(
    private readonly limits: PoolLimits,
    private readonly client: ClientOptions,
    private readonly slots?: DestinationSlots,
  ) {}

  get openCount(): number {
    return this.total;
  }

  acquire(dest: Destination): Promise<UpstreamSession> {
    if (this.closed) return Promise.reject(new Error('connection pool is closed'));
    const idle = this.takeIdle(dest.key);
    if (idle) return Promise.resolve(idle);
    if (this.canOpen(dest.key)) return this.create(dest);
    return new Promise((resolve, reject) => this.waiters.push({ dest, resolve, reject }));
  }

  private takeIdle(key: string): UpstreamSession | undefined {
    const list = this.idle.get(key);
    while (list && list.length) {
      const it = list.pop()!;
      clearTimeout(it.timer);
      if (!it.session.broken) return it.session;
      this.forget(it.session);
    }
    return undefined;
  }

  private canOpen(key: string): boolean {
    return this.total < this.limits.maxConnections && (this.open.get(key) ?? 0) < this.limits.maxPerDestination;
  }

  private create(dest: Destination): Promise<UpstreamSession> {
    this.total++;
    this.open.set(dest.key, (this.open.get(dest.key) ?? 0) + 1);
    return this.openCounted(dest).catch((err: Error) => {
      this.count(dest.key, -1);
      this.wake();
      throw err;
    });
  }

  private async openCounted(dest: Destination): Promise<UpstreamSession> {
    if (!this.slots) return openSession(dest, this.client);
    const slot = await this.takeSlot(dest.key);
    try {
      const s = await openSession(dest, this.client);
      this.slotOf.set(s, slot);
      return s;
    } catch (err) {
      this.slots.give(dest.key, slot);
      throw err;
    }
  }

  /** Waits for a cluster-wide slot: other nodes free theirs as their sessions close or idle out. */
  private async takeSlot(key: string): Promise<number> {
    for (let wait = 20; ; wait = Math.min(wait * 2, 500)) {
      if (this.closed) throw new Error('connection pool is closed');
      const slot = await this.slots!.take(key, this.limits.maxPerDestination);
      if (slot !== null) return slot;
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  private count(key: string, d: number): void {
    this.total += d;
    const n = (this.open.get(key) ?? 0) + d;
    if (n > 0) this.open.set(key, n);
    else this.open.delete(key);
  }

  private forget(s: UpstreamSession): void {
    this.count(s.dest.key, -1);
    const slot = this.slotOf.get(s);
    if (slot !== undefined) {
      this.slotOf.delete(s);
      this.slots!.give(s.dest.key, slot);
    }
  }

  /** Returns a session after use; broken or worn-out sessions are closed. */
  release(s: UpstreamSession): void {
    if (s.broken || this.closed || s.sent >= this.limits.messagesPerConnection) {
      closeSession(s);
      this.forget(s);
      this.wake();
      return;
    }
    const w = this.waiters.findIndex((x) => x.dest.key === s.dest.key);
    if (w !== -1) {
      this.waiters.splice(w, 1)[0]!.resolve(s);
      return;
    }
    const timer = setTimeout(() => {
      const list = this.idle.get(s.dest.key);
      const i = list ? list.findIndex((x) => x.session === s) : -1;
      if (list && i !== -1) list.splice(i, 1);
      closeSession(s);
      this.forget(s);
      this.wake();
    }, this.limits.idleTimeoutMs);
    timer.unref();
    let list = this.idle.get(s.dest.key);
    if (!list) this.idle.set(s.dest.key, (list = []));
    list.push({ session: s, timer });
    // Someone waiting for another destination may be blocked by the global limit: free a slot.
    if (this.waiters.length && this.total >= this.limits.maxConnections) this.evictIdle();
    this.wake();
  }

  private evictIdle(): void {
    for (const [key, list] of this.idle) {
      const it = list.shift();
      if (!it) continue;
      clearTimeout(it.timer);
      closeSession(it.session);
      this.forget(it.session);
      if (!list.length) this.idle.delete(key);
      return;
    }
  }

  private wake(): void {
    for (let i = 0; i < this.waiters.length; ) {
      const w = this.waiters[i]!;
      const idle = this.takeIdle(w.dest.key);
      if (idle) {
        this.waiters.splice(i, 1);
        w.resolve(idle);
        continue;
      }
      if (this.canOpen(w.dest.key)) {
        this.waiters.splice(i, 1);
        this.create(w.dest).then(w.resolve, w.reject);
        continue;
      }
      i++;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiters) w.reject(new Error('connection pool is closed'));
    this.waiters = [];
    for (const list of this.idle.values()) {
      for (const it of list) {
        clearTimeout(it.timer);
        closeSession(it.session);
        this.forget(it.session);
      }
    }
    this.idle.clear();
  }
}
