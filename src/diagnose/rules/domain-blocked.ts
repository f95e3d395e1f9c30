// Rule: one receiving domain rejecting most of our mail while the others accept it (blocked).
import { domainOf, pct, replyShape, tally, minutes, type DiagnoseContext } from '../context.js';
import type { AttemptEvent, Finding } from '../types.js';

export function domainBlocked(ctx: DiagnoseContext): Finding[] {
  if (ctx.found.some((f) => f.rule === 'smtp-config')) return [];
  const byDomain = new Map<string, AttemptEvent[]>();
  for (const a of ctx.attempts) {
    if (a.integration) continue;
    const d = domainOf(a.rcpt);
    let list = byDomain.get(d);
    if (!list) byDomain.set(d, (list = []));
    list.push(a);
  }
  const out: Finding[] = [];
  const total = ctx.attempts.filter((a) => !a.integration);
  for (const [domain, list] of byDomain) {
    if (list.length < ctx.t.minDomainAttempts) continue;
    const failed = list.filter((a) => a.status !== 'delivered');
    const share = failed.length / list.length;
    if (share < ctx.t.domainRejectShare) continue;
    // "One domain": the rest must mostly get through, else it is not about this domain.
    const others = total.filter((a) => domainOf(a.rcpt) !== domain);
    const othersFailed = others.filter((a) => a.status !== 'delivered').length;
    if (others.length === 0 || othersFailed / others.length >= 0.5) continue;
    const [shape, n] = tally(failed, (a) => replyShape(a.response))[0]!;
    const sample = failed.find((a) => replyShape(a.response) === shape)!;
    out.push({
      id: `domain-blocked:${domain}`,
      rule: 'domain-blocked',
      severity: 'warning',
      title: `${domain} is rejecting most mail (blocked)`,
      summary: `${failed.length} of ${list.length} attempts to ${domain} failed in the last ${minutes(ctx.windowMs)} (${pct(share)}), against ${pct(others.length ? othersFailed / others.length : 0)} for other domains.`
        + ` Most common reply (${n}x) from ${sample.mx ?? '?'}: "${sample.response}".`,
      evidence: failed.slice(-3).reverse().map((a) => ({ text: `${a.status}: ${a.response}`, time: a.time, queueId: a.queueId, rcpt: a.rcpt })),
      nextStep: `Read the rejection text: a blocklist or reputation block names a delisting page; otherwise check SPF/DKIM/DMARC for the sender domain and ask ${domain}'s postmaster. The recipients are not at fault.`,
    });
  }
  return out;
}
