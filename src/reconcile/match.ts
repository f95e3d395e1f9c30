// The matcher: ties delivery-log records to failures Rebound recorded, follows each copy of a
// message across the hops of the chain, and judges the failure only against the chain's final
// outcome for that copy. Log records are gathered first (consider) and judged once the logs are
// read (settle), so a hand-off in one log never decides before the next hop's log has spoken.
//
//   hand-off        passed to a relay of the chain (loopback, private, reconcile.relays, a host
//                   whose log is read): says nothing about delivery; its reply may name the next
//                   hop's id, which ties that hop's records to the copy
//   final delivery  into a mailbox, or to a host outside the chain (the recipient's MX)
//   final bounce    a bounce the hop decided itself (status=bounced from outside or local, Exim **)
//   relayed bounce  a hop logging that its next hop in the chain refused: a claim about that hop
//
// Verdict: the latest final outcome decides (delivered: a server response mismatch; bounced:
// confirmed); without one, a relayed bounce or Rebound's own log confirms. Rebound's own log only
// records hand-offs, so it never contradicts a failure.
import { randomUUID } from 'node:crypto';
import type { Store } from '../store/index.js';
import type { LogEvidenceRef, RecipientEvent, RecipientRecord } from '../types.js';
import type { Clock } from '../util/clock.js';
import { applyAcceptedDelivered, applyReconcile } from '../recipients/reduce.js';
import { ChainHosts } from './chain-hosts.js';
import { addOutcome, FailureIndex, RANK, type Basis, type FailureEntry } from './failure-index.js';
import { nextHopIds } from './parse/smtp-reply.js';
import type { LogEvidence } from './types.js';
import { sameAddress } from '../util/address-key.js';

export type Verdict = 'mismatch' | 'confirmed';

export interface ReconcileMatch {
  verdict: Verdict;
  queueId: string;
  messageId: string | null;
  rcpt: string;
  /** The server whose report the logs contradict (mismatch) or the host we recorded the failure from. */
  upstreamHost: string | null;
  /** What that host answered. */
  failedResponse: string | null;
  failedAt: number;
  evidence: LogEvidenceRef;
  basis: Basis;
  /** Whether the recipient's invalid flag was cleared by this match. */
  flagCleared: boolean;
}

export interface MatcherOptions {
  /** Compute verdicts without writing anything to the store. */
  dryRun?: boolean;
  /** Clock difference allowed between the logs' hosts and ours when telling copies of a message apart. Default 5 min. */
  skewMs?: number;
  /** Relays that pass mail on for us (reconcile.relays), besides loopback/private addresses and the hosts whose logs are read. */
  relays?: readonly string[];
  /**
   * Look messages up in the store when the index has no entry (for the live follower, whose
   * index was built before the newest failures were recorded).
   */
  live?: boolean;
  clock?: Clock;
  /** Called for each verdict that changed something (or would have, in a dry run). */
  onMatch?: (m: ReconcileMatch) => void;
}

export interface MatchCounters {
  /** Log records that were tied to a recorded failure. */
  matched: number;
  /** Verdicts that changed the store (or would have, in a dry run). */
  changed: number;
  mismatches: number;
  confirmed: number;
  /** Records about an earlier copy of the message (logged before this copy was sent). */
  earlier: number;
  /** Copies judged again with the verdict they already had. */
  repeated: number;
  /** Messages a smarthost accepted for a flagged address, found delivered at the end of the chain: flag cleared. */
  acceptedDelivered: number;
  /** Mismatches per server whose report the logs contradict. */
  byUpstream: Map<string, number>;
}

type Role = 'handoff' | 'delivered' | 'bounced' | 'relayed-bounce' | 'own-bounce';

/** Longest evidence line kept with an event. */
const MAX_EVIDENCE_TEXT = 2_000;
const DEFAULT_SKEW_MS = 5 * 60_000;
/** Next-hop ids waiting for their hop's log (the live follower never rereads, so keep it bounded). */
const MAX_PENDING_LINKS = 100_000;

export class Matcher {
  readonly counters: MatchCounters = {
    matched: 0, changed: 0, mismatches: 0, confirmed: 0, earlier: 0, repeated: 0, acceptedDelivered: 0, byUpstream: new Map(),
  };
  readonly chain: ChainHosts;
  private readonly dryRun: boolean;
  private readonly skewMs: number;
  private readonly clock: Clock;
  private readonly dirty = new Set<FailureEntry>();
  /** Next-hop ids linked to a copy whose hop log has not shown them yet, with the file being read when linked. */
  private readonly pendingLinks = new Map<string, number>();
  /** Index of the file being read (set by the caller), so a later pass knows which files to read again. */
  fileIndex = 0;
  /** In a second pass: only records of these next-hop ids are considered. */
  private only: Set<string> | null = null;

  constructor(
    private readonly store: Store,
    private index: FailureIndex,
    private readonly opts: MatcherOptions = {},
  ) {
    this.dryRun = !!opts.dryRun;
    this.skewMs = opts.skewMs ?? DEFAULT_SKEW_MS;
    this.clock = opts.clock ?? { now: () => Date.now() };
    this.chain = new ChainHosts(opts.relays ?? []);
  }

  get failures(): FailureIndex {
    return this.index;
  }

  /** Swaps in a freshly built index (the follower refreshes it now and then). */
  async setIndex(index: FailureIndex): Promise<void> {
    await this.settle();
    this.index = index;
  }

  /**
   * Live mode: indexes from the store the message a record names when the index has no entry for
   * it (a failure recorded after the index was built). Awaited before consider(), one at a time.
   */
  async lookUp(ev: LogEvidence): Promise<void> {
    if (!this.opts.live || ev.rcpt === undefined) return;
    if (this.entryFor(ev, ev.rcpt) ?? (ev.origRcpt !== undefined ? this.entryFor(ev, ev.origRcpt) : undefined)) return;
    const m = (ev.reboundQueueId !== undefined ? await this.store.getMessage(ev.reboundQueueId) : undefined)
      ?? (ev.messageId !== undefined ? await this.store.findByMessageId(ev.messageId) : undefined);
    if (m) await this.index.addMessage(m);
  }

  /** Considers one log record: keeps it with the copy it is about. Verdicts come from settle(). */
  consider(ev: LogEvidence): void {
    // A host writing a log we read is part of the chain.
    if (ev.host !== undefined && this.only === null) this.chain.add(ev.host);
    const s = ev.status;
    if ((s !== 'sent' && s !== 'bounced' && s !== 'expired') || ev.rcpt === undefined) return;
    if (this.only !== null && (ev.queueId === undefined || !this.only.has(ev.queueId))) return;
    const entry = this.entryFor(ev, ev.rcpt) ?? (ev.origRcpt !== undefined ? this.entryFor(ev, ev.origRcpt) : undefined);
    if (!entry) return;
    if (ev.time !== undefined && ev.time.getTime() < entry.sentAt - this.skewMs) {
      this.counters.earlier++;
      return;
    }
    if (!addOutcome(entry, ev)) return;
    this.counters.matched++;
    entry.matched = true;
    this.dirty.add(entry);
    if (ev.queueId !== undefined) this.pendingLinks.delete(ev.queueId);
    // A hand-off's reply names the next hop's id for the copy ("queued as X", "250 OK id=X").
    const next = s === 'sent' ? nextHopIds(ev.reply)[0] : undefined;
    if (next !== undefined && this.index.linkNextHop(next, entry)) {
      if (this.pendingLinks.size >= MAX_PENDING_LINKS) this.pendingLinks.delete(this.pendingLinks.keys().next().value!);
      this.pendingLinks.set(next, this.fileIndex);
    }
  }

  /**
   * Files that must be read again for next-hop ids linked after they were read (a hop's log read
   * before the log that names its id). Empty when nothing is pending.
   */
  filesToReread(): number[] {
    let last = -1;
    for (const at of this.pendingLinks.values()) last = Math.max(last, at - 1);
    return Array.from({ length: last + 1 }, (_, i) => i);
  }

  /** Starts (true) a pass that only looks at records of the pending next-hop ids, or ends it (false). */
  followPending(on: boolean): void {
    if (!on) {
      this.only = null;
      return;
    }
    this.only = new Set(this.pendingLinks.keys());
    this.pendingLinks.clear();
  }

  /** Judges every copy that got new records since the last call; returns the verdicts that changed something. */
  async settle(): Promise<ReconcileMatch[]> {
    const out: ReconcileMatch[] = [];
    const dirty = [...this.dirty];
    this.dirty.clear();
    for (const entry of dirty) {
      entry.dirty = false;
      const m = await this.judge(entry);
      if (m) out.push(m);
    }
    return out;
  }

  private async judge(entry: FailureEntry): Promise<ReconcileMatch | undefined> {
    let final: LogEvidence | undefined;
    let finalRole: Role | undefined;
    let relayed: LogEvidence | undefined;
    let own: LogEvidence | undefined;
    for (const ev of entry.outcomes) {
      const role = this.roleOf(ev);
      if (role === 'handoff') continue; // says nothing by itself
      if (role === 'relayed-bounce') relayed = later(relayed, ev);
      else if (role === 'own-bounce') own = later(own, ev);
      else if (later(final, ev) === ev) {
        final = ev;
        finalRole = role;
      }
    }
    if (entry.awaited) {
      if (final && finalRole === 'delivered') await this.acceptedDelivered(entry);
      return undefined;
    }
    let verdict: Verdict;
    let basis: Basis;
    let evidence: LogEvidence;
    if (final) {
      verdict = finalRole === 'delivered' ? 'mismatch' : 'confirmed';
      basis = 'final';
      evidence = final;
    } else if (relayed) {
      verdict = 'confirmed';
      basis = 'relayed';
      evidence = relayed;
    } else if (own) {
      verdict = 'confirmed';
      basis = 'own-log';
      evidence = own;
    } else {
      return undefined; // only hand-offs so far: the next hop's log decides
    }
    // A mismatch is never taken back. A confirmation yields only to evidence that outranks it: a
    // final delivery overturns a relayed or own-log confirmation; a final bounce makes it final.
    const outranks = entry.verdict === 'confirmed' && RANK[basis] > RANK[entry.basis ?? 'final'];
    if (entry.verdict === 'mismatch' || (entry.verdict === 'confirmed' && !outranks)) {
      this.counters.repeated++;
      return undefined;
    }
    return verdict === 'mismatch' ? await this.mismatch(entry, evidence, relayed) : await this.confirm(entry, evidence, basis);
  }

  /** What a record means for its copy, now that the chain's hosts are known. */
  private roleOf(ev: LogEvidence): Role {
    if (ev.format === 'rebound') return ev.status === 'sent' ? 'handoff' : 'own-bounce';
    if (ev.status === 'sent') {
      if (ev.via === 'mailbox') return 'delivered';
      if (ev.relay === undefined || ev.via === undefined) return 'handoff'; // discard, error agents: not a delivery
      return this.chain.has(ev.relay) ? 'handoff' : 'delivered';
    }
    // A hop giving up (expired) decided itself; a refusal from a chain relay is that relay's claim.
    if (ev.status === 'bounced' && ev.relay !== undefined && this.chain.has(ev.relay)) return 'relayed-bounce';
    return 'bounced';
  }

  private entryFor(ev: LogEvidence, rcpt: string): FailureEntry | undefined {
    return this.index.find(rcpt, ev.messageId, ev.reboundQueueId, ev.queueId, ev.time?.getTime(), this.skewMs);
  }

  /**
   * The server whose report the final log contradicts: the chain hop that answered the refusal
   * (a relayed bounce), else the MTA named in the DSN we got, else the upstream that answered us.
   */
  private async blame(entry: FailureEntry, relayed: LogEvidence | undefined): Promise<string | null> {
    // As the log names it (host[ip]:port): on one machine the port tells the hops apart.
    if (relayed?.relay !== undefined) return relayed.relay;
    // The message's own events are few (its attempts and reports), a recipient's may be many.
    const events = await this.store.eventsForMessage(entry.queueId);
    for (let i = events.length - 1; i >= 0; i--) {
      const e = events[i]!;
      if (e.type === 'report' && e.verified && sameAddress(e.rcpt, entry.rcpt)) {
        const mta = e.remoteMta ?? e.reportingMta;
        if (mta) return mta;
        break;
      }
    }
    return entry.mx;
  }

  private async mismatch(entry: FailureEntry, ev: LogEvidence, relayed: LogEvidence | undefined): Promise<ReconcileMatch> {
    entry.verdict = 'mismatch';
    entry.basis = null;
    const c = this.counters;
    c.mismatches++;
    c.changed++;
    const host = await this.blame(entry, relayed);
    const key = host ?? '(unknown)';
    c.byUpstream.set(key, (c.byUpstream.get(key) ?? 0) + 1);
    const match = this.toMatch('mismatch', entry, ev, 'final', host);
    if (!this.dryRun) match.flagCleared = await this.recordMismatch(entry, match);
    else match.flagCleared = await this.wouldClearFlag(entry);
    this.opts.onMatch?.(match);
    return match;
  }

  /** An awaited copy reached a mailbox or the recipient's MX: its address is not invalid after all. */
  private async acceptedDelivered(entry: FailureEntry): Promise<void> {
    entry.awaited = false; // judged once
    const now = this.clock.now();
    const id = randomUUID();
    let changed = false;
    const decide = (prev: RecipientRecord | undefined) => {
      changed = false;
      if (!prev) return { record: null };
      const { record, change } = applyAcceptedDelivered(prev, entry.queueId, now);
      if (!change) return { record: null };
      changed = true;
      return { record, events: [clearEvent(id, now, entry, prev.reason)] };
    };
    if (this.dryRun) decide(await this.store.getRecipient(entry.rcpt));
    else await this.store.updateRecipient(entry.rcpt, decide);
    if (!changed) return;
    this.counters.acceptedDelivered++;
    this.counters.changed++;
    if (!this.dryRun) this.index.forgetRecipient(entry.rcpt);
  }

  private async confirm(entry: FailureEntry, ev: LogEvidence, basis: Basis): Promise<ReconcileMatch> {
    entry.verdict = 'confirmed';
    entry.basis = basis;
    this.counters.confirmed++;
    this.counters.changed++;
    const match = this.toMatch('confirmed', entry, ev, basis, entry.mx);
    if (!this.dryRun) await this.store.appendEvents([this.reconcileEvent(match)]);
    this.opts.onMatch?.(match);
    return match;
  }

  private toMatch(verdict: Verdict, entry: FailureEntry, ev: LogEvidence, basis: Basis, host: string | null): ReconcileMatch {
    return {
      verdict, queueId: entry.queueId, messageId: entry.messageId, rcpt: entry.rcpt, upstreamHost: host,
      failedResponse: entry.response, failedAt: entry.failedAt, flagCleared: false, basis,
      evidence: { file: ev.file, line: ev.line, text: ev.raw.length > MAX_EVIDENCE_TEXT ? ev.raw.slice(0, MAX_EVIDENCE_TEXT) : ev.raw, format: ev.format },
    };
  }

  private reconcileEvent(m: ReconcileMatch): RecipientEvent {
    return {
      type: 'reconcile', id: randomUUID(), time: this.clock.now(), queueId: m.queueId, messageId: m.messageId, rcpt: m.rcpt,
      verdict: m.verdict, upstreamHost: m.upstreamHost, evidence: m.evidence, basis: m.basis,
    };
  }

  /** Writes a mismatch: the event, the message's recipient status, the recipient record and its flag. */
  /**
   * Writes a mismatch: the event, the message's recipient status, the recipient record and its
   * flag (the record, the reconcile event and a flag change in one atomic update).
   */
  private async recordMismatch(entry: FailureEntry, match: ReconcileMatch): Promise<boolean> {
    const now = this.clock.now();
    const msg = await this.store.getMessage(entry.queueId);
    const r = msg?.rcpts.find((x) => sameAddress(x.rcpt, entry.rcpt));
    const writes: Array<Promise<unknown>> = [];
    if (msg && r && r.status === entry.status) {
      r.status = 'delivered';
      r.updatedAt = now;
      writes.push(this.store.putMessage(msg));
    }
    // Which message set the flag, read before the update (the change itself must stay synchronous).
    const owner = this.index.laterFailureStands(entry) ? null : await this.flaggedBy(entry.rcpt);
    const event = this.reconcileEvent(match);
    const id = randomUUID();
    let cleared = false;
    writes.push(this.store.updateRecipient(entry.rcpt, (prev) => {
      const { record, change } = applyReconcile(prev, { rcpt: entry.rcpt, queueId: entry.queueId, at: now, flaggedBy: prev?.invalid ? owner : null });
      cleared = change === 'clear';
      return { record, events: cleared ? [event, clearEvent(id, now, entry, prev?.reason ?? null)] : [event] };
    }));
    await Promise.all(writes);
    this.index.forgetRecipient(entry.rcpt);
    return cleared;
  }

  private async wouldClearFlag(entry: FailureEntry): Promise<boolean> {
    const prev = await this.store.getRecipient(entry.rcpt);
    if (!prev?.invalid) return false;
    const owner = this.index.laterFailureStands(entry) ? null : await this.flaggedBy(entry.rcpt);
    return applyReconcile(prev, { rcpt: entry.rcpt, queueId: entry.queueId, at: 0, flaggedBy: owner }).change === 'clear';
  }

  /** The message whose failure set the recipient's current flag. */
  private async flaggedBy(rcpt: string): Promise<string | null> {
    const events = await this.store.eventsForRecipient(rcpt);
    for (let i = events.length - 1; i >= 0; i--) {
      const e = events[i]!;
      if (e.type === 'flag') return e.queueId;
    }
    return null;
  }
}

/** The flag cleared by a reconciliation. */
function clearEvent(id: string, time: number, entry: FailureEntry, reason: RecipientRecord['reason']): RecipientEvent {
  return { type: 'clear', id, time, rcpt: entry.rcpt, reason, queueId: entry.queueId, by: 'reconcile' };
}

/** The later of two records by logged time; on a tie (or no time) the one read last. */
function later(a: LogEvidence | undefined, b: LogEvidence): LogEvidence {
  if (!a) return b;
  const ta = a.time?.getTime();
  const tb = b.time?.getTime();
  if (ta === undefined || tb === undefined) return b;
  return tb >= ta ? b : a;
}
