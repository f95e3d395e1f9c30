import type { Store } from '../store/index.js';
import type { MessageRecord } from '../types.js';
import { parseReturnPath, verifyReturnPath, type VerpToken } from '../delivery/index.js';
import type { BounceRecord, ParsedReport } from './parse/index.js';
import { sameAddress } from '../util/address-key.js';

export interface CorrelationContext {
  store: Store;
  /** VERP secret and domain in force; null when VERP is off. */
  secret: string | null;
  domains: string[];
  /** Whether a message was sent with a signed return path (then only a valid signature may tie a report to it). */
  sentWithVerp(m: MessageRecord): boolean;
}

export interface Correlated {
  record: BounceRecord | null;
  queueId: string | null;
  rcpt: string | null;
  verified: boolean;
  matchedBy: 'verp' | 'trace-header' | 'message-id' | null;
  unmatchedWhy?: string;
}

const VERP_IN_TEXT = /b\+[0-9A-Z]{8,32}-\d{1,5}-[0-9a-f]{16}@[A-Za-z0-9.-]+/g;

function tokensIn(envelopeRcpts: string[], raw: string, domains: string[]): VerpToken[] {
  const seen = new Set<string>();
  const out: VerpToken[] = [];
  const add = (addr: string) => {
    const t = parseReturnPath(addr);
    if (!t || !domains.includes(t.domain)) return;
    const key = `${t.queueId}-${t.index}-${t.sig}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(t);
  };
  for (const r of envelopeRcpts) add(r);
  // The returned original's Return-Path (ARF reports, DSNs with headers) carries the token too.
  let n = 0;
  for (const m of raw.matchAll(VERP_IN_TEXT)) {
    add(m[0]);
    if (++n >= 50) break;
  }
  return out;
}

const same = (a: string | undefined, b: string) => sameAddress(a, b);

/**
 * Ties each result of a report to the message and recipient it is about. Order: the VERP token
 * (its HMAC checked); then our trace header or the Message-ID of the returned original, then the
 * recipient. A message sent with a signed return path only matches through a valid signature, so
 * a forged report cannot change a recipient's status.
 */
export async function correlate(report: ParsedReport, envelopeRcpts: string[], raw: string, ctx: CorrelationContext): Promise<Correlated[]> {
  const results: Array<BounceRecord | null> = report.results.length ? report.results : [null];
  const unmatched = (why: string): Correlated[] =>
    results.map((record) => ({ record, queueId: null, rcpt: null, verified: false, matchedBy: null, unmatchedWhy: why }));

  if (ctx.secret) {
    const tokens = tokensIn(envelopeRcpts, raw, ctx.domains);
    let badSignature = false;
    for (const t of tokens) {
      const msg = await ctx.store.getMessage(t.queueId);
      const rcpt = msg?.rcpts[t.index]?.rcpt;
      if (!msg || !rcpt) continue;
      if (!verifyReturnPath(ctx.secret, t, rcpt)) {
        badSignature = true;
        continue;
      }
      const mine = report.results.filter((r) => same(r.rcpt, rcpt) || same(r.originalRcpt, rcpt));
      const chosen = mine.length ? mine : report.results.length === 1 ? report.results : [];
      if (!chosen.length) return [{ record: null, queueId: msg.queueId, rcpt, verified: true, matchedBy: 'verp' }];
      return chosen.map((record) => ({ record, queueId: msg.queueId, rcpt, verified: true, matchedBy: 'verp' as const }));
    }
    if (badSignature || tokens.length) return unmatched(badSignature ? 'return-path signature does not match (forged or altered)' : 'return-path token names no message we know');
  }

  const byTrace = report.original.queueId ? await ctx.store.getMessage(report.original.queueId) : undefined;
  const byMsgId = !byTrace && report.original.messageId ? await ctx.store.findByMessageId(report.original.messageId) : undefined;
  const msg = byTrace ?? byMsgId;
  if (!msg) return unmatched('no message of ours matches (no valid return-path token, trace header or Message-ID)');
  if (ctx.sentWithVerp(msg)) return unmatched('message was sent with a signed return path, but the report carries no valid signature');
  const matchedBy = byTrace ? 'trace-header' as const : 'message-id' as const;
  return results.map((record) => {
    const rcpt = record
      ? msg.rcpts.find((r) => same(record.rcpt, r.rcpt) || same(record.originalRcpt, r.rcpt))?.rcpt ?? (msg.rcpts.length === 1 && !record.rcpt ? msg.rcpts[0]!.rcpt : undefined)
      : msg.rcpts.length === 1 ? msg.rcpts[0]!.rcpt : undefined;
    if (!rcpt) return { record, queueId: msg.queueId, rcpt: null, verified: false, matchedBy, unmatchedWhy: 'recipient is not one of that message\'s recipients' };
    return { record, queueId: msg.queueId, rcpt, verified: true, matchedBy };
  });
}
