// Builders for the reports the sandbox sends back: a DSN (RFC 3464), an ARF complaint (RFC 5965)
// and an out-of-office auto-reply (RFC 3834), each quoting the original message's headers.
import { randomUUID } from 'node:crypto';

export interface Original {
  envelopeFrom: string;
  rcpt: string;
  headers: string;
  messageId: string | null;
  subject: string;
}

const crlf = (lines: string[]) => lines.join('\r\n');
const date = () => new Date().toUTCString().replace('GMT', '+0000');

/**
 * A multipart/report (RFC 6522): the top headers, a human-readable part, the machine-readable part
 * of `reportType`, and the original message's headers.
 */
function multipartReport(reportType: 'delivery-status' | 'feedback-report', top: string[], human: string[], machine: string[], originalHeaders: string): string {
  const b = `${reportType}-${randomUUID()}`;
  const machineType = reportType === 'delivery-status' ? 'message/delivery-status' : 'message/feedback-report';
  return crlf([
    ...top,
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=${reportType}; boundary="${b}"`,
    '',
    `--${b}`,
    'Content-Type: text/plain; charset=us-ascii',
    '',
    ...human,
    '',
    `--${b}`,
    `Content-Type: ${machineType}`,
    '',
    ...machine,
    '',
    `--${b}`,
    'Content-Type: text/rfc822-headers',
    '',
    originalHeaders.trimEnd(),
    '',
    `--${b}--`,
    '',
  ]);
}

export function dsn(o: Original, host: string): string {
  const diag = `550 5.1.1 <${o.rcpt}>: Recipient address rejected: User unknown in local recipient table`;
  return multipartReport('delivery-status', [
    `From: Mail Delivery System <MAILER-DAEMON@${host}>`,
    `To: <${o.envelopeFrom}>`,
    'Subject: Undelivered Mail Returned to Sender',
    `Date: ${date()}`,
    `Message-ID: <${randomUUID()}@${host}>`,
    'Auto-Submitted: auto-replied',
  ], [
    `This is the mail system at host ${host}.`,
    '',
    "I'm sorry to have to inform you that your message could not be delivered to one or more",
    'recipients. It is attached below.',
    '',
    `<${o.rcpt}>: host mx.${host} said: ${diag} (in reply to RCPT TO command)`,
  ], [
    `Reporting-MTA: dns; ${host}`,
    `Arrival-Date: ${date()}`,
    '',
    `Final-Recipient: rfc822; ${o.rcpt}`,
    `Original-Recipient: rfc822; ${o.rcpt}`,
    'Action: failed',
    'Status: 5.1.1',
    `Remote-MTA: dns; mx.${host}`,
    `Diagnostic-Code: smtp; ${diag}`,
  ], o.headers);
}

export function arf(o: Original, host: string, sourceIp: string): string {
  return multipartReport('feedback-report', [
    `From: Feedback Loop <fbl@${host}>`,
    `To: <${o.envelopeFrom}>`,
    `Subject: FW: ${o.subject}`,
    `Date: ${date()}`,
    `Message-ID: <${randomUUID()}@${host}>`,
  ], [
    `This is an email abuse report for an email message received from IP ${sourceIp}.`,
    'A recipient marked it as spam.',
  ], [
    'Feedback-Type: abuse',
    'User-Agent: ReboundSandbox/1.0',
    'Version: 1',
    `Original-Mail-From: <${o.envelopeFrom}>`,
    `Original-Rcpt-To: <${o.rcpt}>`,
    `Arrival-Date: ${date()}`,
    `Source-IP: ${sourceIp}`,
    `Reported-Domain: ${o.envelopeFrom.split('@')[1] ?? host}`,
  ], o.headers);
}

export function autoReply(o: Original): string {
  return crlf([
    `From: <${o.rcpt}>`,
    `To: <${o.envelopeFrom}>`,
    `Subject: Out of Office: ${o.subject}`,
    `Date: ${date()}`,
    `Message-ID: <${randomUUID()}@${o.rcpt.split('@')[1] ?? 'sandbox.test'}>`,
    ...(o.messageId ? [`In-Reply-To: <${o.messageId}>`, `References: <${o.messageId}>`] : []),
    'Auto-Submitted: auto-replied',
    'X-Autoreply: yes',
    'Precedence: auto_reply',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Thank you for your message. I am out of the office until Monday with limited access to e-mail.',
    'For urgent matters please contact the front desk.',
    '',
  ]);
}
