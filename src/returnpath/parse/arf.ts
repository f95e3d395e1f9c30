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
  const report = msg.attachments.find((a) => a.contentType.includes('feedback-report'))?.text ?? msg.text;
  const start = report.search(/^feedback-type:/im);
  const f = headerMap(parseHeaderBlock(start >= 0 ? report.slice(start) : report));
  const original = msg.attachments.find((a) => /rfc822/.test(a.contentType))?.text ?? '';
  const origHeaders = headerMap(parseHeaderBlock(original));

  let feedbacktype = (f['feedback-type'] ?? '').toLowerCase().trim();
  if (!feedbacktype && /^true$/i.test((msg.headers['x-apple-unsubscribe'] ?? '').trim())) feedbacktype = 'opt-out';
  if (!feedbacktype) feedbacktype = 'abuse';

  const rcpts: string[] = [];
  for (const v of [f['original-rcpt-to'], msg.headers['x-hmxmroriginalrecipient'], origHeaders['to']]) {
    const a = addressOf(v);
    if (a && !rcpts.length) rcpts.push(a);
  }
  if (!rcpts.length && feedbacktype === 'opt-out') rcpts.push(msg.from);
  if (!rcpts.length) rcpts.push(addressOf(msg.headers['to']) || msg.from || '');
  const diagnostic = (msg.text.split(/^feedback-type:/im)[0] ?? '').trim().slice(0, 1000);
  return rcpts.filter(Boolean).map((rcpt) => ({ rcpt, reason: 'feedback', feedbacktype, diagnostic, status: '', replycode: '' }));
}
