import { addressOf } from './headers.js';
import type { LoadedMessage } from './message.js';
import type { Draft } from './types.js';

/** Most recipients read from one report; more is a hostile report, not a bounce. */
export const MAX_REPORT_RECIPIENTS = 1000;

const RECIPIENT_FIELDS = /^(final-recipient|original-recipient|x-actual-recipient|action|status|remote-mta|diagnostic-code|last-attempt-date|will-retry-until|x-postfix-sender)\s*:/i;

/** Unfolded field lines grouped by blank lines. */
function fieldGroups(text: string): Array<Record<string, string>> {
  const groups: Array<Record<string, string>> = [];
  let cur: Record<string, string> = {};
  let last = '';
  const flush = (): void => {
    if (Object.keys(cur).length) groups.push(cur);
    cur = {};
    last = '';
  };
  for (const line of text.slice(0, 64 * 1024).split('\n', 20000)) {
    if (line.trim() === '') { flush(); continue; }
    if (/^[ \t]/.test(line) && last) { cur[last] += ' ' + line.trim(); continue; }
    const m = /^([A-Za-z][A-Za-z0-9-]{1,40})\s*:\s?(.*)$/.exec(line);
    // Some MTAs wrap a long Diagnostic-Code without indenting the continuation.
    if (!m && last === 'diagnostic-code' && /^[245]\d\d[ -]/.test(line)) { cur[last] += ' ' + line.trim(); continue; }
    if (!m) { last = ''; continue; }
    const name = m[1]!.toLowerCase();
    // A second Final-Recipient without a blank line starts a new group.
    if (name === 'final-recipient' && 'final-recipient' in cur) flush();
    if (!(name in cur)) cur[name] = m[2]!.trim();
    last = name;
  }
  flush();
  return groups;
}

/** "smtp; 550 5.1.1 text" -> "550 5.1.1 text". */
function stripType(value: string | undefined): string {
  return (value ?? '').replace(/^\s*[A-Za-z0-9-]{1,20}\s*;\s*/, '').trim();
}

/** The text that holds the machine-readable report: report parts first, then the flattened text. */
function reportTexts(msg: LoadedMessage): string[] {
  const parts = msg.attachments
    .filter((a) => /delivery-status|\/global-delivery-status/.test(a.contentType))
    .map((a) => a.text);
  parts.push(msg.text);
  return parts;
}

/** Per-recipient blocks of an RFC 3464 delivery-status report (message/delivery-status). */
export function parseDeliveryStatus(msg: LoadedMessage): Draft[] {
  for (const text of reportTexts(msg)) {
    if (!/^(final-recipient|original-recipient)\s*:/im.test(text)) continue;
    const drafts: Draft[] = [];
    const groups = fieldGroups(text);
    // The per-message block names the MTA that wrote the report (reconcile blames it for a wrong one).
    const reporting = stripType(groups.find((g) => 'reporting-mta' in g)?.['reporting-mta']);
    for (const g of groups) {
      if (!Object.keys(g).some((k) => RECIPIENT_FIELDS.test(k + ':'))) continue;
      const rcpt = addressOf(stripType(g['final-recipient'])) || addressOf(stripType(g['x-actual-recipient'])) || addressOf(stripType(g['original-recipient']));
      if (!rcpt) continue;
      const status = /([245]\.\d{1,3}\.\d{1,3})/.exec(g['status'] ?? '')?.[1];
      const action = (g['action'] ?? '').toLowerCase().split(/[\s(;]/)[0] || undefined;
      const d: Draft = { rcpt, diagnostic: stripType(g['diagnostic-code']) };
      const diagType = /^\s*([A-Za-z0-9-]{1,20})\s*;/.exec(g['diagnostic-code'] ?? '')?.[1];
      if (diagType) d.diagType = diagType.toLowerCase();
      if (status) d.status = status;
      if (action) d.action = action;
      const remote = stripType(g['remote-mta']);
      if (remote) d.remoteMta = remote;
      if (reporting) d.reportingMta = reporting;
      if (g['last-attempt-date']) d.lastAttempt = g['last-attempt-date'];
      const orig = addressOf(stripType(g['original-recipient']));
      if (orig) d.originalRcpt = orig;
      if (action === 'delayed' || status?.startsWith('4.')) d.temporary = true;
      if (action === 'delayed') d.delayed = true;
      const note = /\(([^)]{3,200})\)/.exec(g['status'] ?? '')?.[1];
      if (note && !/^(permanent|temporary|transient) failure$/i.test(note.trim())) d.note = note;
      drafts.push(d);
      if (drafts.length >= MAX_REPORT_RECIPIENTS) break;
    }
    if (drafts.length) return drafts;
  }
  return [];
}

/** True when the mail declares itself a delivery-status report. */
export function isDeliveryReport(msg: LoadedMessage): boolean {
  return /report-type\s*=\s*"?delivery-status/.test(msg.contentType) || msg.attachments.some((a) => a.contentType.includes('delivery-status'));
}
