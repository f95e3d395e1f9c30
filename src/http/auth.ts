import { createHash, timingSafeEqual } from 'node:crypto';
import { verifyPassword } from '../util/password.js';

/**
 * How a bearer token is stored in http.tokens. `rebound new-token` makes 256 random bits, which no
 * one can guess, so a plain SHA-256 of it is as strong as a password hash and costs microseconds on
 * the event loop instead of an scrypt run on the libuv thread pool (the pool the spool's fsyncs
 * wait for). scrypt hashes (`rebound hash-password`, for tokens a person chose) keep working.
 */
export function tokenHash(token: string): string {
  return `sha256$${digest(token)}`;
}

export const TOKEN_HASH_RE = /^sha256\$[0-9a-f]{64}$/;

const digest = (token: string) => createHash('sha256').update(token).digest('hex');

export interface TokenVerifierOptions {
  /** The slow check of one scrypt hash (default verifyPassword); injectable so tests can count runs. */
  verifySlow?: (token: string, hash: string) => Promise<boolean>;
  /** Wrong tokens remembered, so one repeated bad token costs one check. */
  maxRememberedBad?: number;
  /** Slow checks waiting beyond this many are refused outright (a flood must not queue without bound). */
  maxQueued?: number;
}

/**
 * Checks bearer tokens. sha256 hashes are a set lookup. scrypt hashes are checked one token at a
 * time, never in parallel, so unknown tokens hold at most one thread-pool slot however many
 * arrive; a verified token is remembered by its SHA-256 (never the token itself), and so is a
 * bounded set of recent wrong ones.
 */
export class TokenVerifier {
  private readonly fast: Buffer[];
  private readonly slow: string[];
  private readonly good = new Set<string>();
  private readonly bad = new Set<string>();
  private readonly inflight = new Map<string, Promise<boolean>>();
  private chain: Promise<unknown> = Promise.resolve();
  private queued = 0;
  private readonly verifySlow: (token: string, hash: string) => Promise<boolean>;
  private readonly maxRememberedBad: number;
  private readonly maxQueued: number;

  constructor(hashes: readonly string[], opts: TokenVerifierOptions = {}) {
    this.fast = hashes.filter((h) => TOKEN_HASH_RE.test(h)).map((h) => Buffer.from(h.slice(7), 'hex'));
    this.slow = hashes.filter((h) => h.startsWith('scrypt$'));
    this.verifySlow = opts.verifySlow ?? verifyPassword;
    this.maxRememberedBad = opts.maxRememberedBad ?? 1024;
    this.maxQueued = opts.maxQueued ?? 64;
  }

  /** Accepts one more token for the life of this process (the start-up sign-in link); only its digest is kept. */
  allow(token: string): void {
    this.fast.push(Buffer.from(digest(token), 'hex'));
  }

  /** No token can be accepted (http.tokens is empty and no sign-in token was made). */
  get empty(): boolean {
    return this.fast.length === 0 && this.slow.length === 0;
  }

  /** True when the token is accepted without any slow check (configured sha256, or verified before). */
  knownGood(token: string): boolean {
    const key = digest(token);
    return this.good.has(key) || this.matchesFast(key);
  }

  async verify(token: string): Promise<boolean> {
    if (!token) return false;
    const key = digest(token);
    if (this.good.has(key) || this.matchesFast(key)) return true;
    if (this.slow.length === 0 || this.bad.has(key)) return false;
    let pending = this.inflight.get(key);
    if (!pending) {
      if (this.queued >= this.maxQueued) return false;
      pending = this.checkInTurn(token, key).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending;
  }

  private matchesFast(key: string): boolean {
    const k = Buffer.from(key, 'hex');
    let hit = false;
    for (const f of this.fast) hit = timingSafeEqual(f, k) || hit;
    return hit;
  }

  /** One scrypt check at a time: the next waits for the previous one to finish. */
  private checkInTurn(token: string, key: string): Promise<boolean> {
    this.queued++;
    const run = this.chain.then(async () => {
      this.queued--;
      let ok = false;
      for (const h of this.slow) if (await this.verifySlow(token, h)) ok = true;
      if (ok) this.good.add(key);
      else {
        this.bad.add(key);
        if (this.bad.size > this.maxRememberedBad) this.bad.delete(this.bad.values().next().value!);
      }
      return ok;
    });
    this.chain = run.catch(() => undefined);
    return run;
  }
}

/**
 * Failed token checks per client address in a sliding window. Past the limit the client is
 * answered 429 before any check runs, so guessing costs it time and costs us nothing.
 */
export class FailureLimiter {
  private readonly clients = new Map<string, { failures: number; since: number }>();

  constructor(private readonly maxFailures = 10, private readonly windowMs = 60_000, private readonly now: () => number = Date.now) {}

  /** Milliseconds until this client may try again, or 0 when it may try now. */
  blockedFor(client: string): number {
    const c = this.clients.get(client);
    if (!c) return 0;
    const left = c.since + this.windowMs - this.now();
    if (left <= 0) {
      this.clients.delete(client);
      return 0;
    }
    return c.failures >= this.maxFailures ? left : 0;
  }

  fail(client: string): void {
    const t = this.now();
    const c = this.clients.get(client);
    if (c && t - c.since < this.windowMs) c.failures++;
    else this.clients.set(client, { failures: 1, since: t });
    if (this.clients.size > 10_000) this.prune(t);
  }

  private prune(t: number): void {
    for (const [k, c] of this.clients) if (t - c.since >= this.windowMs) this.clients.delete(k);
    // Still full (a spread-out flood): forget the oldest entries rather than grow without bound.
    for (const k of this.clients.keys()) {
      if (this.clients.size <= 10_000) break;
      this.clients.delete(k);
    }
  }
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1]! : null;
}
