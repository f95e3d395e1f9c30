// Adapters from the stages' own functions to what the HTTP layer takes, for main.ts.
import { diagnose } from '../diagnose/index.js';
import { reconcile } from '../reconcile/run.js';
import type { Store } from '../store/index.js';
import type { Diagnoser, ReconcileRunner } from './types.js';

/** POST /api/reconcile runs the same reconcile() as `rebound reconcile`. */
export function reconcileRunner(store: Store, chain: { relays?: readonly string[]; skewMs?: number } = {}): ReconcileRunner {
  return (files, opts) => reconcile(store, files, { ...chain, ...opts });
}

export function diagnoser(store: Store): Diagnoser {
  return (opts) => diagnose(store, opts);
}

/** The store's /readyz check: true, or why its last write failed (disk full, read-only, ...). */
export function storeReadiness(store: Store): true | string {
  const h = store.writeHealth();
  return h.ok ? true : `${h.cause} (since ${new Date(h.since).toISOString()}); acknowledged changes wait in memory and are retried`;
}
