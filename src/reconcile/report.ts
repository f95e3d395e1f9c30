// The human table `rebound reconcile` prints: per file what was read, then what matched,
// what changed, and which failures the logs did not mention.
import type { ReconcileResult } from './run.js';

const SHOWN = 20;

function clip(text: string | null, max = 90): string {
  if (!text) return '-';
  return text.length > max ? text.slice(0, max - 1) + '…' : text;
}

function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd());
}

export function formatReconcileReport(r: ReconcileResult): string {
  const out: string[] = [];
  out.push(r.dryRun ? 'Dry run: nothing was written.' : `Reconciled in ${(r.elapsedMs / 1000).toFixed(1)} s.`);
  out.push('');
  out.push(...table([
    ['file', 'format', 'lines', 'records', 'malformed'],
    ...r.files.map((f) => [f.file, f.format ?? '?', String(f.lines), String(f.records), String(f.malformed)]),
  ]));
  for (const f of r.files) {
    if (f.error) out.push(`  ${f.file}: not read: ${f.error}`);
    if (f.truncated) out.push(`  ${f.file}: ended early: ${f.truncated}`);
    for (const s of f.malformedSamples) out.push(`  ${f.file}:${s.line}: malformed: ${clip(s.text)}`);
  }
  out.push('');
  out.push(`Failures searched for: ${r.candidates}   matched log records: ${r.matched}   ${r.dryRun ? 'would change' : 'changed'}: ${r.changed}`);
  out.push(`  mismatches (failed here, delivered per the chain's final log): ${r.mismatches}`);
  out.push(`  confirmed (the logs agree with the failure): ${r.confirmed}`);
  out.push(`  handed off only (the next hop's log was not read): ${r.handedOffOnly}`);
  out.push(`  flags cleared: a message the smarthost accepted was delivered at the end of the chain: ${r.acceptedDelivered}`);
  out.push(`  not found in the logs: ${r.unmatched}`);
  const hosts = Object.entries(r.byUpstream).sort((a, b) => b[1] - a[1]);
  if (hosts.length) {
    out.push('');
    out.push('Mismatches by server (the one whose report the final log contradicts):');
    out.push(...table(hosts.map(([h, n]) => [`  ${h}`, String(n)])));
  }
  if (r.matches.length) {
    out.push('');
    out.push(r.dryRun ? 'Would change:' : 'Changed:');
    out.push(...table([
      ['  verdict', 'queue id', 'recipient', 'upstream', 'evidence'],
      ...r.matches.slice(0, SHOWN).map((m) => [
        `  ${m.verdict}${m.verdict === 'confirmed' && m.basis !== 'final' ? ` (${m.basis})` : ''}${m.flagCleared ? ' (flag cleared)' : ''}`, m.queueId, m.rcpt, m.upstreamHost ?? '-', `${m.evidence.file}:${m.evidence.line}`,
      ]),
    ]));
    if (r.changed > SHOWN) out.push(`  … and ${r.changed - SHOWN} more (use --json for all)`);
  }
  if (r.unmatchedFailures.length) {
    out.push('');
    out.push('Not found in the logs:');
    out.push(...table(r.unmatchedFailures.slice(0, SHOWN).map((u) => [`  ${u.queueId}`, u.rcpt, u.status, clip(u.response, 60)])));
    if (r.unmatched > SHOWN) out.push(`  … and ${r.unmatched - SHOWN} more (use --json for all)`);
  }
  return out.join('\n');
}
