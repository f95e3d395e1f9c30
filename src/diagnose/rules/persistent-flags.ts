// Rule: flags that survive attempt after attempt: mail keeps going to addresses known to be bad.
import type { DiagnoseContext } from '../context.js';
import type { Finding } from '../types.js';

export function persistentFlags(ctx: DiagnoseContext): Finding[] {
  const stuck = [...ctx.flagged.values()].filter((r) => r.attemptsSinceFlag >= ctx.t.persistentFlagAttempts);
  if (stuck.length === 0) return [];
  stuck.sort((a, b) => b.attemptsSinceFlag - a.attemptsSinceFlag);
  return [{
    id: 'persistent-flags',
    rule: 'persistent-flags',
    severity: 'warning',
    title: `${stuck.length} flagged recipient(s) still receiving mail`,
    summary: `These addresses were flagged invalid and have had ${ctx.t.persistentFlagAttempts} or more attempts since, none successful`
      + ` (most: ${stuck[0]!.email}, ${stuck[0]!.attemptsSinceFlag} attempts). Sending on hurts the sender's reputation.`,
    evidence: stuck.slice(0, 5).map((r) => ({
      text: `${r.email}: ${r.reason ?? 'invalid'} since ${r.flaggedAt ? new Date(r.flaggedAt).toISOString() : '?'}, ${r.attemptsSinceFlag} attempts since; last: ${r.lastResponse ?? '-'}`,
      rcpt: r.email, count: r.attemptsSinceFlag, ...(r.lastQueueId ? { queueId: r.lastQueueId } : {}),
    })),
    nextStep: 'Remove these addresses in the sending application, or suppress them so submission refuses mail to them. If a flag is wrong, reconcile the upstream log or clear it by hand.',
  }];
}
