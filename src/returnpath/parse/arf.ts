import { addressOf, headerMap, parseHeaderBlock } from './headers.js';
import type { LoadedMessage } from './message.js';
import type { Draft } from './types.js';

/** True for RFC 5965 feedback reports and the common non-standard complaint forms. */
export function isFeedbackReport(msg: LoadedMessage): boolean {
  return /report-type\s*=\s*"?feedback-report/.test(msg.contentType) ||
    msg.attachments.some((a) => a.contentType.includes('feedback-report')) ||
    /^feedback-type:\s*\S/im.test(msg.text.slice(0, 16384)) && /^user-agent:|^version:/im.test(msg.text.slice(0, 16384)) ||
    /^true$/i.test((msg.headers['x-apple-unsubscribe'] ?? '').trim()) ||
    msg.headers['x-hmxmroriginalrecipient'] !== undefined;
}

/** The complaint(s) of a feedback report: one draft per reported recipient. */
export function parseFeedbackReport(msg: LoadedMessage): Draft[] {
  const part = msg.attachments.find((a) => a.contentType.includes('feedback-report'))?.text;
  const report = part ?? msg.text;
  const start = report.search(/^feedback-type:/im);
  const f = headerMap(parseHeaderBlock(start >= 0 ? report.slice(start) : report));
  const original = msg.attachments.find((a) => /rfc822/.test(a.contentType))?.text ?? '';
  const origHeaders = headerMap(parseHeaderBlock(original));

  let feedbacktype = (f['feedback-type'] ?? '').toLowerCase().trim();
  if (!feedbacktype && /^true$/i.test((msg.headers['x-apple-unsubscribe'] ?? '').trim())) feedbacktype = 'opt-out';
  if (!feedbacktype) feedbacktype = 'abuse';

  // RFC 5965: Original-Rcpt-To may appear any number of times, one complaint per recipient, in
  // order; a redacted one ("Redacted-Address: local@") is the original's To. Without any: the
  // original recipient Microsoft names, then the returned message's To.
  const origTo = addressOf(origHeaders['to']);
  const rcpts: string[] = [];
  const block = part ?? (start >= 0 ? report.slice(Math.max(0, start - 2000), start + 65536) : '');
  for (const m of block.matchAll(/^(?:original-rcpt-to|redacted-address):[ \t]*(.{1,300})$/gim)) {
    const a = addressOf(m[1]) || (/@\s*>?\s*$/.test(m[1]!) ? origTo : '');
    if (a) rcpts.push(a);
    if (rcpts.length >= 100) break;
  }
  for (const v of [msg.headers['x-hmxmroriginalrecipient'], origHeaders['x-hmxmroriginalrecipient'], origHeaders['to']]) {
    const a = addressOf(v);
    if (a && !rcpts.length) rcpts.push(a);
  }
  if (!rcpts.length && feedbacktype === 'opt-out') rcpts.push(msg.from);
  if (!rcpts.length) rcpts.push(addressOf(msg.headers['to']) || msg.from || '');
  const diagnostic = (msg.text.split(/^feedback-type:/im)[0] ?? '').trim().slice(0, 1000);
  return rcpts.filter(Boolean).map((rcpt) => ({ rcpt, reason: 'feedback', feedbacktype, diagnostic, status: '', replycode: '' }));
}
