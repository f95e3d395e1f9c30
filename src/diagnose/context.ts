// The window every rule looks at, read from the store once and split by event type.
import type { Store } from '../store/index.js';
import type { RecipientRecord } from '../types.js';
import { addressKey } from '../util/address-key.js';
import type {
  AttemptEvent, DiagnoseOptions, DiagnoseThresholds, Finding, FlagEvent, IntegrationEvent, ReconcileEvent, ReportEvent,
} from './types.js';

export const DEFAULT_THRESHOLDS: DiagnoseThresholds = {
  minFailingRecipients: 5, minDomains: 3, dominantShare: 0.6, minConnectionErrors: 3, maxIsolatedFlags: 3,
  minDomainAttempts: 5, domainRejectShare: 0.7, complaintWarn: 0.001, complaintCritical: 0.003, minBacklog: 20,
  persistentFlagAttempts: 3,
};

export interface DiagnoseContext {
  store: Store;
  now: number;
  windowMs: number;
  since: number;
  t: DiagnoseThresholds;
  attempts: AttemptEvent[];
  integrations: IntegrationEvent[];
  reconciles: ReconcileEvent[];
  reports: ReportEvent[];
  flagChanges: FlagEvent[];
  /** The recipients flagged invalid now, by addressKey(), most recently active first. */
  flagged: Map<string, RecipientRecord>;
  /** Findings of the rules that ran before (later rules stay quiet about what they explain). */
  found: Finding[];
}

export async function buildContext(store: Store, opts: DiagnoseOptions): Promise<DiagnoseContext> {
  const since = opts.now - opts.windowMs;
  const ctx: DiagnoseContext = {
    store, now: opts.now, windowMs: opts.windowMs, since, t: { ...DEFAULT_THRESHOLDS, ...opts.thresholds },
    attempts: [], integrations: [], reconciles: [], reports: [], flagChanges: [], flagged: new Map(), found: [],
  };
  for await (const r of store.scanRecipients({ invalid: true })) ctx.flagged.set(addressKey(r.email), r);
  // The whole window, however many events it holds (read from the event log when memory has only the newest).
  for await (const e of store.eventsSince(since)) {
    if (e.time > opts.now) continue;
    switch (e.type) {
      case 'attempt': ctx.attempts.push(e); break;
      case 'integration': ctx.integrations.push(e); break;
      case 'reconcile': ctx.reconciles.push(e); break;
      case 'report': ctx.reports.push(e); break;
      default: ctx.flagChanges.push(e);
    }
  }
  return ctx;
}

export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

/** A reply with the parts that differ per message removed, so the same refusal groups together. */
export function replyShape(response: string): string {
  return response
    .replace(/<[^>]*>/g, '<>')
    .replace(/[\w.+-]+@[\w.-]+/g, '@')
    .replace(/\b(?=[0-9A-Za-z]*\d)[0-9A-Za-z]{8,}\b/g, '#')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 200);
}

/** Counts by key, largest first. */
export function tally<T>(items: readonly T[], key: (x: T) => string): Array<[string, number]> {
  const m = new Map<string, number>();
  for (const x of items) {
    const k = key(x);
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return [...m].sort((a, b) => b[1] - a[1]);
}

export function minutes(ms: number): string {
  if (ms >= 86_400_000 && ms % 86_400_000 === 0) return `${ms / 86_400_000} d`;
  if (ms >= 3_600_000) return `${+(ms / 3_600_000).toFixed(1)} h`;
  return `${Math.round(ms / 60_000)} min`;
}

export function pct(x: number): string {
  return `${+(x * 100).toFixed(x < 0.01 ? 2 : 1)}%`;
}
