// Rule: a recipient flagged with no wider pattern: temporary or specific to that address.
import { domainOf, type DiagnoseContext } from '../context.js';
import type { Finding } from '../types.js';
import { addressKey, sameAddress } from '../../util/address-key.js';

export function addressSpecific(ctx: DiagnoseContext): Finding[] {
  // A wider pattern (configuration, a blocking domain) explains flags better than the address does.
  if (ctx.found.some((f) => f.rule === 'smtp-config')) return [];
  const blockedDomains = new Set(ctx.found.filter((f) => f.rule === 'domain-blocked').map((f) => f.id.slice('domain-blocked:'.length)));
  // One entry per recipient however its address was spelled, shown as its record has it.
  const flaggedNow = [...new Set(ctx.flagChanges.filter((e) => e.type === 'flag').map((e) => addressKey(e.rcpt)))]
    .map((key) => ctx.flagged.get(key))
    .filter((r): r is NonNullable<typeof r> => !!r && !blockedDomains.has(domainOf(r.email)));
  if (flaggedNow.length === 0 || flaggedNow.length > ctx.t.maxIsolatedFlags) return [];
  return flaggedNow.map((rec) => {
    const rcpt = rec.email;
    const last = ctx.attempts.filter((a) => sameAddress(a.rcpt, rcpt) && a.status !== 'delivered').at(-1);
    return {
      id: `address-specific:${rcpt}`,
      rule: 'address-specific',
      severity: 'info',
      title: `${rcpt}: temporary or address-specific failure`,
      summary: `Only this recipient was flagged (${rec.reason ?? 'failure'}); other recipients and domains are fine, so nothing points at the setup.`
        + ` Last reply: "${rec.lastResponse ?? last?.response ?? '-'}". The flag clears by itself on the next successful delivery.`,
      evidence: last ? [{ text: `${last.status}: ${last.response}`, time: last.time, queueId: last.queueId, rcpt }] : [],
      nextStep: 'No action on the server. Check the address with its owner (typo, left the company, full mailbox); if the upstream is known to answer wrongly, reconcile its log.',
    };
  });
}
