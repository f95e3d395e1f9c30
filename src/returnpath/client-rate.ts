import type { Clock } from '../util/clock.js';

/**
 * Bytes of reports accepted per client address in a sliding window, so one client cannot fill
 * the archive (three 9 MB reports in under a second). A client over its budget gets a temporary
 * error and sends again later, as MTAs do.
 */
export class ClientByteRate {
  private readonly taken = new Map<string, Array<{ at: number; bytes: number }>>();

  constructor(private readonly maxBytes: number, private readonly windowMs: number, private readonly clock: Clock) {}

  private recent(client: string): Array<{ at: number; bytes: number }> {
    const cutoff = this.clock.now() - this.windowMs;
    const list = (this.taken.get(client) ?? []).filter((x) => x.at > cutoff);
    if (list.length) this.taken.set(client, list);
    else this.taken.delete(client);
    return list;
  }

  used(client: string): number {
    return this.recent(client).reduce((n, x) => n + x.bytes, 0);
  }

  /** Whether `bytes` more from this client stay within its budget. */
  allows(client: string, bytes: number): boolean {
    return this.used(client) + bytes <= this.maxBytes;
  }

  record(client: string, bytes: number): void {
    const list = this.recent(client);
    list.push({ at: this.clock.now(), bytes });
    this.taken.set(client, list);
    if (this.taken.size > 100_000) this.taken.delete(this.taken.keys().next().value as string);
  }
}
