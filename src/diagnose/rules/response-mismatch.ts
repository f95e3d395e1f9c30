// Rule: failures that delivery logs contradict (reconcile verdict "mismatch"): the upstream host
// answers errors for mail it delivers.
import { minutes, type DiagnoseContext } from '../context.js';
import type { Finding, ReconcileEvent } from '../types.js';
import { addressKey, sameAddress } from '../../util/address-key.js';

export async function responseMismatch(ctx: DiagnoseContext): Promise<Finding[]> {
  const byHost = new Map<string, { mismatch: ReconcileEvent[]; confirmed: number }>();
  for (const e of ctx.reconciles) {
    const host = e.upstreamHost ?? '(unknown host)';
    let g = byHost.get(host);
    if (!g) byHost.set(host, (g = { mismatch: [], confirmed: 0 }));
    if (e.verdict === 'mismatch') g.mismatch.push(e);
    else g.confirmed++;
  }
  const out: Finding[] = [];
  for (const [host, g] of byHost) {
    const n = g.mismatch.length;
    if (n === 0) continue;
    const failures = ctx.attempts.filter((a) => a.mx === host && (a.status === 'bounced' || a.status === 'expired')).length;
    const rcpts = new Set(g.mismatch.map((e) => addressKey(e.rcpt)));
    const evidence = [];
    for (const e of g.mismatch.slice(-3).reverse()) {
      const failed = (await ctx.store.getMessage(e.queueId))?.rcpts.find((r) => sameAddress(r.rcpt, e.rcpt))?.lastResponse;
      evidence.push({
        text: `${host} said "${failed ?? 'a failure'}", but ${e.evidence.file}:${e.evidence.line} shows delivery: ${e.evidence.text}`,
        time: e.time, queueId: e.queueId, rcpt: e.rcpt,
      });
    }
    out.push({
      id: `response-mismatch:${host}`,
      rule: 'response-mismatch',
      severity: n >= 10 ? 'critical' : 'warning',
      title: `Server response mismatch: ${host} reported ${n} failure(s) for mail that was delivered`,
      summary: `In the last ${minutes(ctx.windowMs)}, delivery logs showed ${n} message(s) to ${rcpts.size} recipient(s) delivered after ${host} answered a failure`
        + `${failures ? ` (${failures} failure(s) from ${host} recorded in the window)` : ''}; ${g.confirmed} failure(s) from it were confirmed by the logs.`
        + ' The recipients were marked delivered and their flags cleared.',
      evidence,
      nextStep: `Look at ${host}: find these queue ids in its log and check what answers the error after accepting the mail (a content filter, proxy or milter returning 5xx late, or a load balancer in front of two servers). `
        + 'Until it is fixed, keep reconciling its log (reconcile.follow) so recipients are not flagged for failures that did not happen.',
    });
  }
  return out;
}
