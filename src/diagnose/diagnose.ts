// diagnose(): run the symptom rules over a window of the store and rank what they found.
import type { Store } from '../store/index.js';
import { buildContext, type DiagnoseContext } from './context.js';
import { addressSpecific } from './rules/address-specific.js';
import { complaintRate } from './rules/complaint-rate.js';
import { configProblem } from './rules/config-problem.js';
import { deferralBacklog } from './rules/deferral-backlog.js';
import { domainBlocked } from './rules/domain-blocked.js';
import { persistentFlags } from './rules/persistent-flags.js';
import { responseMismatch } from './rules/response-mismatch.js';
import type { DiagnoseOptions, Finding, Severity } from './types.js';

type Rule = (ctx: DiagnoseContext) => Finding[] | Promise<Finding[]>;

/** Order matters: wide causes first, so narrower rules can stay quiet about what they explain. */
const RULES: Rule[] = [configProblem, responseMismatch, domainBlocked, addressSpecific, complaintRate, deferralBacklog, persistentFlags];

const RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

export async function diagnose(store: Store, opts: DiagnoseOptions): Promise<Finding[]> {
  const ctx = await buildContext(store, opts);
  for (const rule of RULES) ctx.found.push(...(await rule(ctx)));
  return ctx.found.map((f, i) => ({ f, i })).sort((a, b) => RANK[a.f.severity] - RANK[b.f.severity] || a.i - b.i).map((x) => x.f);
}
