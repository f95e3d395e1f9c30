import type { Clock } from '../util/clock.js';

/** One login attempt under way; it counts as a failure unless `succeeded` is called. */
export interface AuthAttempt {
  ip: string;
  user: string;
  at: number;
}

/**
 * Limits login attempts per client address and per user name in a sliding window, to stop brute
 * force. An attempt is counted *before* its password is checked (so parallel guesses cannot all
 * get in under the limit) and uncounted only if it succeeds; a success never clears the count of
 * other attempts (an attacker who knows one account, or shares a NAT address, cannot reset it).
 */
export class AuthThrottle {
  private readonly byIp = new Map<string, number[]>();
  private readonly byUser = new Map<string, number[]>();

  constructor(private readonly max: number, private readonly windowMs: number, private readonly clock: Clock) {}

  private recent(map: Map<string, number[]>, key: string): number[] {
    const cutoff = this.clock.now() - this.windowMs;
    const list = (map.get(key) ?? []).filter((t) => t > cutoff);
    if (list.length) map.set(key, list);
    else map.delete(key);
    return list;
  }

  private add(map: Map<string, number[]>, key: string, at: number): number {
    const list = this.recent(map, key);
    list.push(at);
    map.set(key, list);
    if (map.size > 100_000) map.delete(map.keys().next().value as string);
    return list.length;
  }

  private remove(map: Map<string, number[]>, key: string, at: number): void {
    const list = map.get(key);
    const i = list ? list.indexOf(at) : -1;
    if (i === -1) return;
    list!.splice(i, 1);
    if (!list!.length) map.delete(key);
  }

  /** Whether this address used up its attempts (checked at connect too). */
  blocked(ip: string): boolean {
    return this.recent(this.byIp, ip).length >= this.max;
  }

  /** Counts an attempt, or returns null when the address or the user has no attempts left. */
  begin(ip: string, user: string): AuthAttempt | null {
    const name = user.toLowerCase();
    if (this.blocked(ip) || this.recent(this.byUser, name).length >= this.max) return null;
    const at = this.clock.now();
    this.add(this.byIp, ip, at);
    this.add(this.byUser, name, at);
    return { ip, user: name, at };
  }

  /** Attempts counted now against the attempt's address and user, the larger of the two. */
  count(a: AuthAttempt): number {
    return Math.max(this.recent(this.byIp, a.ip).length, this.recent(this.byUser, a.user).length);
  }

  /** The attempt was right: it no longer counts (and nothing else changes). */
  succeeded(a: AuthAttempt): void {
    this.remove(this.byIp, a.ip, a.at);
    this.remove(this.byUser, a.user, a.at);
  }
}
