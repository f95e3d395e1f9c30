import { randomBytes } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import type { HttpConfig } from './types.js';

/** True for 127.0.0.0/8, ::1 and "localhost": only this machine can reach the listener. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  try {
    const a = ipaddr.process(host);
    return a.range() === 'loopback';
  } catch {
    return false;
  }
}

/**
 * A first run without editing files: when no token is configured and the API listens on loopback
 * only, a random token valid for this process (kept in memory, never written) that the start-up
 * sign-in link carries. Null when tokens are configured or the listener is reachable from outside.
 */
export function signInToken(config: Pick<HttpConfig, 'host' | 'tokens'>): string | null {
  if (config.tokens.length > 0 || !isLoopbackHost(config.host)) return null;
  return randomBytes(32).toString('base64url');
}
