import {
  classifyReply, codeOf, enhancedOf, normaliseText, pseudoStatus, reasonFromText,
} from '../../classify/index.js';
import { commandIn } from './text-scan.js';
import type { BounceRecord, Draft } from './types.js';

const DIAG_CAP = 1000;

/** One-line, bounded diagnostic text. */
export function cleanDiagnostic(text: string | undefined): string {
  return (text ?? '').slice(0, 8192).replace(/\s+/g, ' ').trim().slice(0, DIAG_CAP);
}

/** First basic reply code written in a text: at the start, after "smtp;", or "said: 550". */
export function replyCodeIn(text: string): number | undefined {
  const m = /(?:^|[\s;(\[#])([245][0-5]\d)(?=[\s\-:,.)\]]|$)/.exec(text.slice(0, 2048));
  return m ? Number(m[1]) : undefined;
}

const ENHANCED_ALL = /(?<![\d.])[245]\.\d{1,3}\.\d{1,3}(?![\d.]*\d)/g;

/**
 * The report's Status, unless it is the generic x.0.0 (or missing) and the diagnostic names a
 * precise code of the same class; then the last such code (the remote server's own words).
 */
function statusOf(status: string | undefined, diagnostic: string): string {
  const given = status && /^[245]\.\d{1,3}\.\d{1,3}$/.test(status) ? status : '';
  if (given && !/^\d\.0\.0$/.test(given)) return given;
  const found = (diagnostic.slice(0, 2048).match(ENHANCED_ALL) ?? []).filter((s) => !/^\d\.0\.0$/.test(s) && (!given || s[0] === given[0]));
  return found.length ? found[found.length - 1]! : given || enhancedOf({ text: diagnostic });
}

/** Turns what a dialect read into a classified record. */
export function finalize(d: Draft, decodedby: string): BounceRecord {
  const diagnostic = cleanDiagnostic(d.diagnostic);
  if (d.reason === 'vacation' || d.reason === 'feedback') return notice(d, decodedby, diagnostic, d.reason);
  const delivered = d.action === 'delivered' || d.action === 'relayed' || d.action === 'expanded';
  let enhanced = statusOf(d.status, diagnostic);
  let code = d.replycode ? Number(d.replycode) : codeOf({ text: diagnostic }) ?? replyCodeIn(diagnostic);
  // A reply code of the other class than the status is someone else's line (a transcript, a quote).
  if (code && enhanced && String(code)[0] !== enhanced[0]) code = undefined;
  const temporary = d.temporary === true || enhanced.startsWith('4.') || (!enhanced && code !== undefined && code < 500);
  const permanent = !temporary;

  // Classify on the diagnostic; the surrounding notice only helps when the diagnostic is silent.
  let text = d.note ? `${d.note}\n${diagnostic}` : diagnostic;
  const silent = !diagnostic || (!enhanced && !code && !reasonFromText(normaliseText(diagnostic)));
  if (d.context && silent) text = `${text}\n${cleanDiagnostic(d.context.slice(0, 8192)).slice(0, 4000)}`;
  const command = d.command ?? commandIn(diagnostic);
  let verdict = classifyReply({ code, enhanced, text, command, permanent, reason: delivered ? 'delivered' : d.reason });
  if (!d.reason && !delivered) {
    let r = verdict.reason;
    // A temporary "domain not found" is a lookup that may yet succeed: a network problem.
    if (!permanent && r === 'hostunknown') r = 'networkerror';
    // A delay notice that names no cause is an expiry in progress (RFC 3464 Action: delayed).
    if (d.delayed && (r === 'onhold' || r === 'undefined')) r = 'expired';
    // A local program's failure (Diagnostic-Code: X-Unix; ...) that names no precise cause is the
    // mailer's (Postfix renders a pipe command's exit status as "unknown mail system error N").
    if (/^x-(?:unix|postfix)/i.test(d.diagType ?? '')) {
      const vague = r === 'onhold' || r === 'undefined' || r === 'filtered' || r === 'syntaxerror';
      // "unknown mail system error 1" under a notice saying "Command died with status 1".
      if (vague || (r === 'systemerror' && /command died with status|command time limit exceeded/i.test(d.context ?? ''))) r = 'mailererror';
    }
    if (r !== verdict.reason) verdict = classifyReply({ reason: r, permanent });
  }
  if (!enhanced) enhanced = pseudoStatus(verdict.reason, permanent);

  const rec: BounceRecord = {
    rcpt: d.rcpt,
    status: enhanced,
    replycode: code ? String(code) : '',
    reason: verdict.reason,
    hardbounce: verdict.hard,
    category: verdict.category,
    decodedby,
    diagnostic,
  };
  if (d.action) rec.action = d.action;
  if (d.remoteMta) rec.remoteMta = d.remoteMta;
  if (d.reportingMta) rec.reportingMta = d.reportingMta;
  if (d.lastAttempt) rec.lastAttempt = d.lastAttempt;
  if (d.feedbacktype !== undefined) rec.feedbacktype = d.feedbacktype;
  if (d.originalRcpt) rec.originalRcpt = d.originalRcpt;
  return rec;
}

/** Auto-replies and complaints carry no status or reply code. */
function notice(d: Draft, decodedby: string, diagnostic: string, reason: 'vacation' | 'feedback'): BounceRecord {
  const verdict = classifyReply({ reason, permanent: false });
  const rec: BounceRecord = {
    rcpt: d.rcpt, status: '', replycode: '', reason, hardbounce: false, category: verdict.category, decodedby, diagnostic,
  };
  if (d.feedbacktype !== undefined) rec.feedbacktype = d.feedbacktype;
  return rec;
}
