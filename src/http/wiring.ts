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
