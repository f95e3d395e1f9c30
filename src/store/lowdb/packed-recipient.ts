import type { RecipientRecord } from '../../types.js';

/**
 * A recipient record as the store keeps it in memory and writes it to journals and snapshots:
 * short field names, fields at their default (false, 0, null) left out, and the address left out
 * when it is the record's key (addressKey() of it). A delivered address with nothing to report
 * carries five or six fields instead of twenty: 266 bytes of heap per record instead of 425
 * (bench:scale, 1,000,000 records parsed back from a snapshot). Fields this table does not know
 * (added to RecipientRecord later) are kept under `x` by their full names, so nothing is dropped.
 */
export interface PackedRecipient {
  e?: string;
  i?: 1;
  rs?: RecipientRecord['reason'];
  cg?: RecipientRecord['category'];
  s?: RecipientRecord['lastStatus'];
  t?: number;
  q?: string;
  r?: string;
  cf?: number;
  af?: number;
  ft?: number;
  d?: number;
  f?: number;
  sp?: 1;
  st?: number;
  sr?: string;
  rc?: number;
  /** Optional in the record type; read back as null when absent (as emptyRecipient() makes them). */
  cb?: RecipientRecord['clearedBy'];
  ct?: RecipientRecord['clearedAt'];
  aw?: RecipientRecord['awaiting'];
  x?: Record<string, unknown>;
}

type Known = Exclude<keyof RecipientRecord, 'email' | 'invalid' | 'suppressed'>;
/** Record field -> packed name, for the fields whose default is null or 0. */
const SHORT: Record<Known, keyof PackedRecipient> = {
  reason: 'rs', category: 'cg', lastStatus: 's', lastEventAt: 't', lastQueueId: 'q', lastResponse: 'r',
  consecutiveFailures: 'cf', attemptsSinceFlag: 'af', flaggedAt: 'ft', deliveredCount: 'd', failedCount: 'f',
  suppressedAt: 'st', suppressedReason: 'sr', reconciledCount: 'rc', clearedBy: 'cb', clearedAt: 'ct', awaiting: 'aw',
};

export function packRecipient(key: string, r: RecipientRecord): PackedRecipient {
  const p: Record<string, unknown> = {};
  if (r.email !== key) p.e = r.email;
  if (r.invalid) p.i = 1;
  if (r.suppressed) p.sp = 1;
  for (const [name, v] of Object.entries(r)) {
    if (name === 'email' || name === 'invalid' || name === 'suppressed' || v === undefined) continue;
    const short = Object.hasOwn(SHORT, name) ? SHORT[name as Known] : undefined;
    // Copies of nested values: the store keeps its own (what the caller changes later changes nothing).
    if (!short) {
      ((p.x ??= {}) as Record<string, unknown>)[name] = v !== null && typeof v === 'object' ? structuredClone(v) : v;
      continue;
    }
    if (v !== null && v !== 0) p[short] = typeof v === 'object' ? { ...v } : v;
  }
  return p as PackedRecipient;
}

export function unpackRecipient(key: string, p: PackedRecipient): RecipientRecord {
  const r: RecipientRecord = {
    email: p.e ?? key,
    invalid: p.i === 1,
    reason: p.rs ?? null,
    category: p.cg ?? null,
    lastStatus: p.s ?? null,
    lastEventAt: p.t ?? null,
    lastQueueId: p.q ?? null,
    lastResponse: p.r ?? null,
    consecutiveFailures: p.cf ?? 0,
    attemptsSinceFlag: p.af ?? 0,
    flaggedAt: p.ft ?? null,
    deliveredCount: p.d ?? 0,
    failedCount: p.f ?? 0,
    suppressed: p.sp === 1,
    suppressedAt: p.st ?? null,
    suppressedReason: p.sr ?? null,
    reconciledCount: p.rc ?? 0,
    clearedBy: p.cb ?? null,
    clearedAt: p.ct ?? null,
    awaiting: p.aw ? { ...p.aw } : null,
  };
  if (p.x) Object.assign(r, structuredClone(p.x));
  return r;
}

/** Snapshots and journals written before packing hold whole records (they have `email`). */
export function isWholeRecord(v: unknown): v is RecipientRecord {
  return typeof (v as { email?: unknown }).email === 'string';
}

/**
 * Past the retention with nothing to tell: no flag, no suppression, no awaited message, and its
 * last activity known and older than `cutoff` (a record without a time is kept: its age is unknown).
 */
export function carriesNoInformation(p: PackedRecipient, cutoff: number): boolean {
  return p.i !== 1 && p.sp !== 1 && !p.aw && p.t !== undefined && p.t < cutoff;
}
