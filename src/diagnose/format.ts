// The human output of `rebound diagnose`.
import type { Finding } from './types.js';

const MARK = { critical: 'CRITICAL', warning: 'WARNING ', info: 'INFO    ' } as const;

export function formatFindings(findings: readonly Finding[]): string {
  if (findings.length === 0) return 'No problems found in this window.';
  const out: string[] = [];
  for (const f of findings) {
    out.push(`${MARK[f.severity]}  ${f.title}`);
    out.push(`          ${f.summary}`);
    for (const e of f.evidence) {
      const where = [e.time !== undefined ? new Date(e.time).toISOString() : '', e.queueId ?? '', e.rcpt ?? ''].filter(Boolean).join('  ');
      out.push(`          - ${where ? `${where}  ` : ''}${e.text}${e.count !== undefined ? `  (x${e.count})` : ''}`);
    }
    out.push(`          Next: ${f.nextStep}`);
    out.push('');
  }
  return out.join('\n').trimEnd();
}
