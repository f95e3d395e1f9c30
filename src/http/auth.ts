import { createHash } from 'node:crypto';
import { verifyPassword } from '../util/password.js';

/**
 * Checks bearer tokens against the configured scrypt hashes. scrypt costs tens of milliseconds on
 * purpose, so a verified token is remembered by its SHA-256 (never the token itself), concurrent
 * checks of one token share one scrypt run, and a bounded set of recent wrong tokens is remembered
 * too, so a client hammering with a bad token cannot burn a core.
 */
export class TokenVerifier {
  private readonly good = new Set<string>();
  private readonly bad = new Map<string, true>();
  private readonly inflight = new Map<string, Promise<boolean>>();

  constructor(private readonly hashes: readonly string[], private readonly maxRememberedBad = 1024) {}

  async verify(token: string): Promise<boolean> {
    if (!token || this.hashes.length === 0) return false;
    const key = createHash('sha256').update(token).digest('hex');
    if (this.good.has(key)) return true;
    if (this.bad.has(key)) return false;
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = this.check(token, key).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending;
  }

  private async check(token: string, key: string): Promise<boolean> {
    const results = await Promise.all(this.hashes.map((h) => verifyPassword(token, h)));
    const ok = results.some(Boolean);
    if (ok) this.good.add(key);
    else {
      this.bad.set(key, true);
      if (this.bad.size > this.maxRememberedBad) this.bad.delete(this.bad.keys().next().value!);
    }
    return ok;
  }
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1]! : null;
}
