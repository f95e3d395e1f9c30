// Reports written from each MTA's documented bounce template (not from corpus files): several
// recipients per report, local and remote failures, delays and successes.
import { describe, expect, it } from 'vitest';
import { parseReport } from '../../src/returnpath/parse/index.js';

const head = (from: string, subject: string, extra = ''): string =>
  `From: ${from}\nTo: app@sender.example\nSubject: ${subject}\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n${extra}MIME-Version: 1.0\n`;
const pick = async (raw: string) => (await parseReport(raw)).results.map((r) => [r.rcpt, r.reason, r.hardbounce]);

describe('MTA templates', () => {
  it('qmail: a local and a remote failure, in order', async () => {
    const raw = head('MAILER-DAEMON@mx.example.net', 'failure notice') + '\n' + [
      'Hi. This is the qmail-send program at mx.example.net.',
      "I'm afraid I wasn't able to deliver your message to the following addresses.",
      "This is a permanent error; I've given up. Sorry it didn't work out.", '',
      '<alice@dest.example>:', 'Sorry, no mailbox here by that name. (#5.1.1)', '',
      '<bob@other.example>:', '192.0.2.7 does not like recipient.',
      'Remote host said: 550 5.1.1 <bob@other.example>: Recipient address rejected: User unknown in local recipient table',
      'Giving up on 192.0.2.7.', '',
      '<carol@third.example>:', '192.0.2.8 failed after I sent the message.', 'Remote host said: 554 5.7.1 Message rejected as spam', '',
      '--- Below this line is a copy of the message.', '', 'From: app@sender.example', '',
    ].join('\n');
    expect(await pick(raw)).toEqual([
      ['alice@dest.example', 'userunknown', true], ['bob@other.example', 'userunknown', true], ['carol@third.example', 'spamdetected', false],
    ]);
  });

  it('Exim: X-Failed-Recipients with an RCPT and an end-of-data failure, and a full local mailbox', async () => {
    const raw = head('Mail Delivery System <Mailer-Daemon@mx.example>', 'Mail delivery failed: returning message to sender',
      'X-Failed-Recipients: alice@dest.example, bob@dest.example, carol@mx.example\n') + '\n' + [
      'This message was created automatically by mail delivery software.', '',
      'A message that you sent could not be delivered to one or more of its', 'recipients. This is a permanent error. The following address(es) failed:', '',
      '  alice@dest.example', '    host mx.dest.example [192.0.2.1]', '    SMTP error from remote mail server after RCPT TO:<alice@dest.example>:',
      '    550 5.1.1 <alice@dest.example>: Recipient address rejected: User unknown', '',
      '  bob@dest.example', '    host mx.dest.example [192.0.2.1]', '    SMTP error from remote mail server after end of data:',
      '    550 5.7.1 Message rejected as spam', '',
      '  carol@mx.example', '    mailbox is full (MTA-imposed quota exceeded while writing to /var/mail/carol)', '',
      '------ This is a copy of the message, including all the headers. ------', '', 'From: app@sender.example', '',
    ].join('\n');
    expect(await pick(raw)).toEqual([
      ['alice@dest.example', 'userunknown', true], ['bob@dest.example', 'spamdetected', false], ['carol@mx.example', 'mailboxfull', false],
    ]);
  });

  it('Postfix: a delay notice is soft and expired, a success notice delivered', async () => {
    const dsn = (subject: string, action: string, status: string, diag: string) => head('MAILER-DAEMON@relay.example (Mail Delivery System)', subject) +
      'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n--B\nContent-Type: text/plain\n\nThis is the mail system at host relay.example.\n\n' +
      `--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; relay.example\n\nFinal-Recipient: rfc822; dave@dest.example\nAction: ${action}\nStatus: ${status}\n` +
      `${diag ? `Diagnostic-Code: ${diag}\n` : ''}\n--B--\n`;
    expect(await pick(dsn('Delayed Mail (still being retried)', 'delayed', '4.4.1', 'X-Postfix; connect to mx.dest.example[192.0.2.1]:25: Connection timed out')))
      .toEqual([['dave@dest.example', 'expired', false]]);
    expect(await pick(dsn('Successful Mail Delivery Report', 'delivered', '2.0.0', 'smtp; 250 2.0.0 Ok: queued as 4F3A2')))
      .toEqual([['dave@dest.example', 'delivered', false]]);
    expect(await pick(dsn('Undelivered Mail Returned to Sender', 'failed', '5.3.0', 'X-Postfix; Command died with status 1: "/usr/bin/procmail"')))
      .toEqual([['dave@dest.example', 'mailererror', false]]);
  });

  it('Sendmail: the transcript says the stage', async () => {
    const raw = head('Mail Delivery Subsystem <MAILER-DAEMON@mx.example>', 'Returned mail: see transcript for details') + '\n' + [
      'The original message was received at Mon, 1 Jan 2024 00:00:00 GMT', '',
      '   ----- The following addresses had permanent fatal errors -----', '<erin@dest.example>', '    (reason: 550 User unknown)', '',
      '   ----- Transcript of session follows -----', '... while talking to mx.dest.example.:', '>>> DATA',
      '<<< 550 User unknown', '550 <erin@dest.example>... User unknown', '',
      '   ----- Unsent message follows -----', 'From: app@sender.example', '',
    ].join('\n');
    // Refused only after DATA: a filter's verdict, never a flag.
    expect(await pick(raw)).toEqual([['erin@dest.example', 'filtered', false]]);
  });

  it('ARF: one complaint per Original-Rcpt-To, in order', async () => {
    const raw = head('fbl@isp.example', 'Abuse report') + 'Content-Type: multipart/report; report-type=feedback-report; boundary="F"\n\n' +
      '--F\nContent-Type: text/plain\n\nThis is an abuse report.\n\n--F\nContent-Type: message/feedback-report\n\n' +
      'Feedback-Type: abuse\nUser-Agent: FBL/1.0\nVersion: 1\nOriginal-Rcpt-To: <u1@isp.example>\nOriginal-Rcpt-To: <u2@isp.example>\nOriginal-Rcpt-To: <u3@isp.example>\n\n' +
      '--F\nContent-Type: message/rfc822\n\nFrom: app@sender.example\nTo: u1@isp.example\n\nbody\n--F--\n';
    expect(await pick(raw)).toEqual([['u1@isp.example', 'feedback', false], ['u2@isp.example', 'feedback', false], ['u3@isp.example', 'feedback', false]]);
  });

  it('OpenSMTPD without a DSN part: one line per recipient', async () => {
    const raw = head('MAILER-DAEMON@smtpd.example', 'Delivery status notification: error') + '\n' + [
      'Hi!', '', 'This is the MAILER-DAEMON, please DO NOT REPLY to this e-mail.', '',
      'An error has occurred while attempting to deliver a message for', 'the following list of recipients:', '',
      'u1@dest.example: 550 5.1.1 <u1@dest.example>: Recipient address rejected: User unknown',
      'u2@dest.example: 552 5.2.2 <u2@dest.example>: Mailbox full', '', 'Below is a copy of the original message:', '', 'From: app@sender.example', '',
    ].join('\n');
    expect(await pick(raw)).toEqual([['u1@dest.example', 'userunknown', true], ['u2@dest.example', 'mailboxfull', false]]);
  });

  it('Yahoo tags the stage: [RCPT_TO] makes "User Unknown" a missing mailbox', async () => {
    const raw = head('MAILER-DAEMON@yahoo.com', 'Failure Notice') + '\n' + [
      'Sorry, we were unable to deliver your message to the following address.', '',
      '<u1@dest.example>:', 'Remote host said: 550 User Unknown [RCPT_TO]', '', '--- Below this line is a copy of the message.', '',
    ].join('\n');
    expect(await pick(raw)).toEqual([['u1@dest.example', 'userunknown', true]]);
  });

  it('Exim delay warning and qmail relay refusal stay soft', async () => {
    const warn = head('Mail Delivery System <Mailer-Daemon@mx.example>', 'Warning: message 1AbCdE-000123-Xy delayed 24 hours',
      'X-Failed-Recipients: slow@dest.example\n') + '\n' + [
      'This message was created automatically by mail delivery software.', '',
      'A message that you sent has not yet been delivered to one or more of its', 'recipients after more than 24 hours on the queue on mx.example.', '',
      'The message identifier is:     1AbCdE-000123-Xy', '', 'The address to which the message has not yet been delivered is:', '',
      '  slow@dest.example', '    host mx.dest.example [192.0.2.1]: Connection timed out', '',
      'No action is required on your part. Delivery attempts will continue for some time.', '',
    ].join('\n');
    expect(await pick(warn)).toEqual([['slow@dest.example', 'expired', false]]);
    const relay = head('MAILER-DAEMON@mx.example.net', 'failure notice') + '\n' + [
      'Hi. This is the qmail-send program at mx.example.net.', "I'm afraid I wasn't able to deliver your message to the following addresses.",
      "This is a permanent error; I've given up. Sorry it didn't work out.", '',
      '<x@elsewhere.example>:', '192.0.2.9 does not like recipient.', "Remote host said: 553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)", '',
      '--- Below this line is a copy of the message.', '',
    ].join('\n');
    expect(await pick(relay)).toEqual([['x@elsewhere.example', 'norelaying', false]]);
  });

  it('a notice that names no recipient is about the returned message\'s single recipient', async () => {
    const raw = head('MAILER-DAEMON@mx.example', 'Mail delivery failed') + 'Content-Type: multipart/mixed; boundary="b"\n\n' +
      '--b\nContent-Type: text/plain\n\nYour message could not be delivered: the mailbox is full.\n\n' +
      '--b\nContent-Type: message/rfc822\n\nFrom: app@sender.example\nTo: Someone <someone@dest.example>\nSubject: hi\n\nbody\n--b--\n';
    expect(await pick(raw)).toEqual([['someone@dest.example', 'mailboxfull', false]]);
    // Two recipients in the copy: which one failed is unknown, so nothing is said about either.
    expect(await pick(raw.replace('To: Someone <someone@dest.example>', 'To: a@dest.example, b@dest.example'))).toEqual([]);
  });
});
