import type { Config } from '../config.js';

type Retry = Config['delivery']['retry'];

/** Delay before attempt n+1 after n failed attempts: first delay, doubling, capped (Postfix-like). */
export function backoffMs(retry: Retry, attemptsSoFar: number): number {
  const exp = Math.min(Math.max(attemptsSoFar - 1, 0), 30);
  return Math.min(retry.firstDelayMs * 2 ** exp, retry.maxDelayMs);
}

/** True when a message received at `receivedAt` has been in the queue for its whole lifetime. */
export function isExpired(retry: Retry, receivedAt: number, now: number): boolean {
  return now - receivedAt >= retry.lifetimeMs;
}
