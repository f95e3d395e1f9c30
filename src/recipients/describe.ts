import type { RecipientEvent } from '../types.js';

/** One human line for an event (CLI tables, dashboard tooltips). */
export function describeEvent(e: RecipientEvent): string {
  const at = new Date(e.time).toISOString();
  switch (e.type) {
    case 'attempt':
      return `${at}  ${e.queueId}  attempt #${e.attempt} ${e.status}${e.integration ? ` (integration: ${e.integration})` : ''}  ${e.response}`;
    case 'integration':
      return `${at}  ${e.queueId}  integration error (${e.cause}) at ${e.mx ?? '?'}: ${e.response}`;
    case 'report':
      return `${at}  ${e.queueId ?? '-'}  ${e.kind} report: ${e.reason} ${e.status}${e.verified ? '' : ` (unmatched${e.unmatchedWhy ? `: ${e.unmatchedWhy}` : ''})`}  ${e.diagnostic}`;
    case 'reconcile':
      return `${at}  ${e.queueId}  reconciled (${e.verdict}) from ${e.evidence.file}:${e.evidence.line}`;
    default:
      return `${at}  ${e.type} by ${e.by}${e.reason ? ` (${e.reason})` : ''}`;
  }
}
