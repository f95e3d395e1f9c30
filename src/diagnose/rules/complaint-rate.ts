// Rule: spam complaints (feedback-loop reports) against deliveries in the window.
import { minutes, pct, tally, type DiagnoseContext } from '../context.js';
import type { Finding } from '../types.js';

export function complaintRate(ctx: DiagnoseContext): Finding[] {
  const complaints = ctx.reports.filter((r) => r.reason === 'feedback');
  if (complaints.length === 0) return [];
  const delivered = ctx.attempts.filter((a) => a.status === 'delivered').length;
  const rate = complaints.length / Math.max(delivered, 1);
  if (rate < ctx.t.complaintWarn) return [];
  const byType = tally(complaints, (c) => c.feedbacktype ?? 'abuse');
  return [{
    id: 'complaint-rate',
    rule: 'complaint-rate',
    severity: rate >= ctx.t.complaintCritical ? 'critical' : 'warning',
    title: `Complaint rate ${pct(rate)} (${complaints.length} complaint(s) / ${delivered} delivered)`,
    summary: `Recipients reported ${complaints.length} message(s) as spam in the last ${minutes(ctx.windowMs)} (${byType.map(([t, n]) => `${n} ${t}`).join(', ')}).`
      + ` Large mailbox providers start filtering above ${pct(ctx.t.complaintWarn)} and block above ${pct(ctx.t.complaintCritical)}.`,
    evidence: complaints.slice(-5).reverse().map((c) => ({ text: `${c.kind} ${c.feedbacktype ?? 'complaint'}: ${c.diagnostic}`, time: c.time, ...(c.queueId ? { queueId: c.queueId } : {}), ...(c.rcpt ? { rcpt: c.rcpt } : {}) })),
    nextStep: 'Complaining addresses are suppressed automatically. Check who sends what to them: consent, an unsubscribe link (List-Unsubscribe), and the sending frequency.',
  }];
}
