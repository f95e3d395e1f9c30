import { describe, expect, it } from 'vitest';
import { parseReport, toJsonlLine } from '../../src/returnpath/parse/index.js';

const DSN = [
  'From: MAILER-DAEMON@relay.example (Mail Delivery System)',
  'To: bounces@sender.example',
  'Subject: Undelivered Mail Returned to Sender',
  'MIME-Version: 1.0',
  'Content-Type: multipart/report; report-type=delivery-status; boundary="BB"',
  '',
  '--BB',
  'Content-Type: text/plain',
  '',
  '<gone@dest.example>: host mx.dest.example[192.0.2.9] said: 550 5.1.1',
  '    <gone@dest.example>: Recipient address rejected: User unknown (in reply to RCPT TO command)',
  '',
  '--BB',
  'Content-Type: message/delivery-status',
  '',
  'Reporting-MTA: dns; relay.example',
  '',
  'Final-Recipient: rfc822; gone@dest.example',
  'Original-Recipient: rfc822; Gone@dest.example',
  'Action: failed',
  'Status: 5.1.1',
  'Remote-MTA: dns; mx.dest.example',
  'Diagnostic-Code: smtp; 550 5.1.1 <gone@dest.example>: Recipient address rejected: User unknown',
  'Last-Attempt-Date: Mon, 1 Jan 2024 00:00:00 +0000',
  '',
  'Final-Recipient: rfc822; full@dest.example',
  'Action: delayed',
  'Status: 4.2.2',
  'Diagnostic-Code: smtp; 452 4.2.2 Mailbox full',
  '',
  '--BB',
  'Content-Type: text/rfc822-headers',
  '',
  'Message-ID: <m1@sender.example>',
  'X-Rebound-Queue-Id: Q123ABC',
  'From: app@sender.example',
  'To: gone@dest.example',
  'Subject: Hello',
  '',
  '--BB--',
  '',
].join('\n');

describe('parseReport', () => {
  it('reads every recipient block of an RFC 3464 report and the returned headers', async () => {
    for (const raw of [DSN, DSN.replace(/\n/g, '\r\n')]) {
      const r = await parseReport(raw);
      expect(r.results).toHaveLength(2);
      expect(r.results[0]).toMatchObject({
        rcpt: 'gone@dest.example', status: '5.1.1', replycode: '550', reason: 'userunknown', hardbounce: true,
        category: 'Invalid Email', action: 'failed', remoteMta: 'mx.dest.example', originalRcpt: 'gone@dest.example',
      });
      expect(r.results[1]).toMatchObject({ rcpt: 'full@dest.example', reason: 'mailboxfull', hardbounce: false, action: 'delayed' });
      expect(r.original).toMatchObject({ messageId: 'm1@sender.example', queueId: 'Q123ABC', to: 'gone@dest.example', subject: 'Hello' });
    }
  });

  it('reads an RFC 5965 feedback report as feedback with its type', async () => {
    const arf = [
      'From: fbl@isp.example', 'To: abuse@sender.example', 'Subject: Abuse report', 'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=feedback-report; boundary="F"', '',
      '--F', 'Content-Type: text/plain', '', 'This is an abuse report.', '',
      '--F', 'Content-Type: message/feedback-report', '',
      'Feedback-Type: abuse', 'User-Agent: FBL/1.0', 'Version: 1', 'Original-Mail-From: <app@sender.example>',
      'Original-Rcpt-To: <user@isp.example>', '',
      '--F', 'Content-Type: message/rfc822', '', 'From: app@sender.example', 'To: user@isp.example', 'Subject: Offer',
      'Message-ID: <x1@sender.example>', '', 'body', '--F--', '',
    ].join('\n');
    const r = await parseReport(arf);
    expect(r.kind).toBe('arf');
    expect(r.results).toEqual([expect.objectContaining({ rcpt: 'user@isp.example', reason: 'feedback', feedbacktype: 'abuse', category: 'Spam', decodedby: 'ARF', hardbounce: false })]);
  });

  it('reads auto-replies as vacation', async () => {
    const r = await parseReport('From: Ann <ann@corp.example>\nTo: app@sender.example\nSubject: Out of Office: Hello\nAuto-Submitted: auto-replied\n\nI am away until Monday.\n');
    expect(r.kind).toBe('autoreply');
    expect(r.results).toEqual([expect.objectContaining({ rcpt: 'ann@corp.example', reason: 'vacation', category: 'Autoresponder', decodedby: 'RFC3834' })]);
  });

  it('gives no result for ordinary mail', async () => {
    const r = await parseReport('From: bob@example.org\nTo: app@sender.example\nSubject: Re: your invoice\n\nThanks, received the invoice.\n');
    expect(r.results).toEqual([]);
  });

  it('reads a plain-text Exim bounce', async () => {
    const exim = [
      'From: Mail Delivery System <Mailer-Daemon@mx.example>', 'To: app@sender.example',
      'Subject: Mail delivery failed: returning message to sender', 'X-Failed-Recipients: nobody@dest.example', '',
      'This message was created automatically by mail delivery software.', '',
      'A message that you sent could not be delivered to one or more of its', 'recipients. This is a permanent error. The following address(es) failed:', '',
      '  nobody@dest.example', '    host mx.dest.example [192.0.2.1]', '    SMTP error from remote mail server after RCPT TO:<nobody@dest.example>:',
      '    550 5.1.1 <nobody@dest.example>: No such user here', '',
      '------ This is a copy of the message, including all the headers. ------', '', 'From: app@sender.example', 'Subject: Hi', '',
    ].join('\n');
    const r = await parseReport(exim);
    expect(r.results).toEqual([expect.objectContaining({ rcpt: 'nobody@dest.example', reason: 'userunknown', status: '5.1.1', replycode: '550', decodedby: 'Exim', hardbounce: true })]);
  });

  it('produces the scorer line format', async () => {
    const line = await toJsonlLine('eml/x.eml', DSN);
    expect(line.file).toBe('eml/x.eml');
    expect(typeof line.ms).toBe('number');
    expect(Object.keys(line.results[0]!).sort()).toEqual(['category', 'decodedby', 'diagnostic', 'hardbounce', 'rcpt', 'reason', 'replycode', 'status']);
  });
});
