import type { Clock } from '../util/clock.js';

/** Counts failed logins per client address in a sliding window, to slow down brute force. */
export class AuthThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly max: number, private readonly windowMs: number, private readonly clock: Clock) {}

  private recent(ip: string): number[] {
    const cutoff = this.clock.now() - this.windowMs;
    const list = (this.failures.get(ip) ?? []).filter((t) => t > cutoff);
    if (list.length) this.failures.set(ip, list);
    else this.failures.delete(ip);
    return list;
  }

  blocked(ip: string): boolean {
    return this.recent(ip).length >= this.max;
  }

  fail(ip: string): number {
    const list = this.recent(ip);
    list.push(this.clock.now());
    this.failures.set(ip, list);
    if (this.failures.size > 100_000) this.failures.delete(this.failures.keys().next().value as string);
    return list.length;
  }

  succeed(ip: string): void {
    this.failures.delete(ip);
  }
}
