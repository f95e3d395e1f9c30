// The dashboard's overview, computed from the store's events and messages: how much went out, what
// failed and in which category, per hour or day. Derived on request, never kept by hand.
import { CATEGORIES, type Category } from '../classify/index.js';
import { isBounceReport } from '../recipients/index.js';
import type { Store } from '../store/index.js';
import type { IntegrationCause, RecipientEvent } from '../types.js';
import { addressKey } from '../util/address-key.js';

export type Bucket = 'hour' | 'day';
export const BUCKET_MS: Record<Bucket, number> = { hour: 3_600_000, day: 86_400_000 };
/** Complaint-rate lines the large mailbox providers publish (Gmail, Yahoo: stay under 0.1 %, never reach 0.3 %). */
export const COMPLAINT_LINES = [0.001, 0.003] as const;
/** More buckets than this is not a chart anyone reads; the route answers 400. */
export const MAX_BUCKETS = 800;
const YIELD_EVERY = 2_000;

export interface Counts {
  /** Messages submitted (received) in the bucket. */
  accepted: number;
  /** Recipient deliveries (250 from the upstream). */
  delivered: number;
  /** Temporary failures (each attempt). */
  deferred: number;
  /** Permanent failures: bounced or expired attempts, and verified bounce reports after delivery. */
  bounced: number;
  /** Verified spam complaints (ARF). */
  complaints: number;
  flagged: number;
  cleared: number;
  integrationErrors: number;
  /** Each failed attempt and each verified report, by category. */
  byCategory: Record<Category, number>;
}

export interface Overview {
  from: number;
  to: number;
  bucket: Bucket;
  bucketMs: number;
  utcOffset: number;
  categories: readonly Category[];
  totals: Counts;
  /** complaints / delivered in the range; null when nothing was delivered. */
  complaintRate: number | null;
  complaintLines: readonly number[];
  series: Array<Counts & { start: number }>;
  topDomains: Array<{ domain: string; failures: number }>;
  topHosts: Array<{ host: string; failures: number }>;
  integrationCauses: Array<{ cause: IntegrationCause; count: number }>;
}

const emptyCounts = (): Counts => ({
  accepted: 0, delivered: 0, deferred: 0, bounced: 0, complaints: 0, flagged: 0, cleared: 0, integrationErrors: 0,
  byCategory: Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<Category, number>,
});

const domainOf = (rcpt: string) => {
  const key = addressKey(rcpt);
  return key.slice(key.lastIndexOf('@') + 1);
};

function top<K extends string>(m: Map<K, number>, n: number): Array<[K, number]> {
  return [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, n);
}

/** Start of the bucket holding `t`, buckets aligned to the caller's zone (utcOffset minutes east of UTC). */
export function bucketStart(t: number, bucketMs: number, utcOffset: number): number {
  const off = utcOffset * 60_000;
  return Math.floor((t + off) / bucketMs) * bucketMs - off;
}

export async function overview(store: Store, o: { from: number; to: number; bucket: Bucket; utcOffset?: number; top?: number }): Promise<Overview> {
  const bucketMs = BUCKET_MS[o.bucket];
  const utcOffset = o.utcOffset ?? 0;
  const first = bucketStart(o.from, bucketMs, utcOffset);
  const series: Array<Counts & { start: number }> = [];
  for (let s = first; s < o.to; s += bucketMs) series.push({ start: s, ...emptyCounts() });
  const totals = emptyCounts();
  const inRange = (t: number) => t >= o.from && t < o.to;
  const at = (t: number) => series[Math.floor((t - first) / bucketMs)]!;
  const bump = (t: number, f: (c: Counts) => void) => {
    f(totals);
    f(at(t));
  };
  const domains = new Map<string, number>();
  const hosts = new Map<string, number>();
  const causes = new Map<IntegrationCause, number>();
  const failedAt = (rcpt: string | null, host: string | null) => {
    if (rcpt) domains.set(domainOf(rcpt), (domains.get(domainOf(rcpt)) ?? 0) + 1);
    if (host) hosts.set(host, (hosts.get(host) ?? 0) + 1);
  };

  // Counted by the store, per bucket of the series.
  const accepted = await store.countMessagesByBucket({ since: o.from, until: o.to, origin: first, bucketMs });
  for (const [k, n] of accepted) {
    const bucket = series[k];
    if (!bucket) continue;
    bucket.accepted += n;
    totals.accepted += n;
  }
  let n = 0;
  for await (const e of store.eventsSince(o.from)) {
    // Events from memory arrive without a pause: give the event loop (SMTP, fsync callbacks) a turn now and then.
    if (++n % YIELD_EVERY === 0) await new Promise((r) => setImmediate(r));
    if (!inRange(e.time)) continue;
    count(e, bump, failedAt, causes);
  }
  return {
    from: o.from, to: o.to, bucket: o.bucket, bucketMs, utcOffset, categories: CATEGORIES, totals,
    complaintRate: totals.delivered > 0 ? totals.complaints / totals.delivered : null,
    complaintLines: COMPLAINT_LINES, series,
    topDomains: top(domains, o.top ?? 10).map(([domain, failures]) => ({ domain, failures })),
    topHosts: top(hosts, o.top ?? 10).map(([host, failures]) => ({ host, failures })),
    integrationCauses: top(causes, 20).map(([cause, n]) => ({ cause, count: n })),
  };
}

function count(
  e: RecipientEvent,
  bump: (t: number, f: (c: Counts) => void) => void,
  failedAt: (rcpt: string | null, host: string | null) => void,
  causes: Map<IntegrationCause, number>,
): void {
  switch (e.type) {
    case 'attempt': {
      if (e.status === 'delivered') return bump(e.time, (c) => c.delivered++);
      const cat = e.category;
      bump(e.time, (c) => {
        if (e.status === 'deferred') c.deferred++;
        else c.bounced++;
        if (cat) c.byCategory[cat]++;
      });
      return failedAt(e.rcpt, e.mx);
    }
    case 'report': {
      // Unverified reports may be forged: they count nowhere, as they change nothing.
      if (!e.verified) return;
      const bounce = isBounceReport(e);
      const complaint = e.kind === 'arf' || e.reason === 'feedback';
      bump(e.time, (c) => {
        c.byCategory[e.category]++;
        if (bounce) c.bounced++;
        if (complaint) c.complaints++;
      });
      if (bounce) failedAt(e.rcpt, e.remoteMta ?? null);
      return;
    }
    case 'integration':
      causes.set(e.cause, (causes.get(e.cause) ?? 0) + 1);
      bump(e.time, (c) => c.integrationErrors++);
      return failedAt(null, e.mx);
    case 'flag':
      return bump(e.time, (c) => c.flagged++);
    case 'clear':
      return bump(e.time, (c) => c.cleared++);
    default:
  }
}
