// Rule: the queue of deferred mail keeps growing over the window.
import type { MessageRecord } from '../../types.js';
import { domainOf, minutes, replyShape, tally, type DiagnoseContext } from '../context.js';
import type { Finding } from '../types.js';

const POINTS = 4;

/** When a finished message left the queue: its last recipient outcome. */
function doneAt(m: MessageRecord): number {
  let t = m.receivedAt;
  for (const r of m.rcpts) if (r.updatedAt > t) t = r.updatedAt;
  return t;
}

export async function deferralBacklog(ctx: DiagnoseContext): Promise<Finding[]> {
  const messages: MessageRecord[] = [];
  for await (const m of ctx.store.scanMessages({})) if (m.status === 'queued' || doneAt(m) > ctx.since) messages.push(m);
  const points: Array<{ at: number; queued: number }> = [];
  for (let i = 0; i < POINTS; i++) {
    const at = ctx.since + (ctx.windowMs * i) / (POINTS - 1);
    let queued = 0;
    for (const m of messages) if (m.receivedAt <= at && (m.status === 'queued' || doneAt(m) > at)) queued++;
    points.push({ at, queued });
  }
  const first = points[0]!.queued;
  const last = points[POINTS - 1]!.queued;
  const growing = points.every((p, i) => i === 0 || p.queued >= points[i - 1]!.queued);
  if (!growing || last < ctx.t.minBacklog || last < first * 1.5) return [];
  const deferred = messages.filter((m) => m.status === 'queued').flatMap((m) => m.rcpts.filter((r) => r.status === 'deferred').map((r) => ({ m, r })));
  const replies = tally(deferred, (x) => replyShape(x.r.lastResponse ?? '(not tried yet)'));
  const domains = tally(deferred, (x) => domainOf(x.r.rcpt));
  const oldest = messages.filter((m) => m.status === 'queued').reduce((min, m) => Math.min(min, m.receivedAt), ctx.now);
  return [{
    id: 'deferral-backlog',
    rule: 'deferral-backlog',
    severity: last >= first * 3 ? 'critical' : 'warning',
    title: `Deferral backlog growing: ${first} -> ${last} queued messages in the last ${minutes(ctx.windowMs)}`,
    summary: `Queued messages over the window: ${points.map((p) => p.queued).join(' -> ')}. The oldest has waited ${minutes(ctx.now - oldest)}.`
      + (replies.length ? ` Most deferred recipients got: "${replies[0]![0]}" (${replies[0]![1]}x).` : ''),
    evidence: [
      ...replies.slice(0, 3).map(([reply, n]) => ({ text: `deferred with: ${reply}`, count: n })),
      ...domains.slice(0, 3).map(([d, n]) => ({ text: `deferred recipients at ${d}`, count: n })),
    ],
    nextStep: 'Mail arrives faster than it leaves. If one reply or domain dominates, treat that first (rate limits: lower delivery.maxConnectionsPerDestination; greylisting and outages clear by themselves); run `rebound queue` to see what waits.',
  }];
}
