import { describe, expect, it } from 'vitest';
import { categoryInfo, categoryOf, classifyReply, CATEGORIES, parseReply, REASONS } from '../../src/classify/index.js';

describe('classifyReply', () => {
  it('treats 5.1.1 user unknown as a hard, invalid address', () => {
    const v = classifyReply({ code: 550, enhanced: '5.1.1', text: '550 5.1.1 <a@example.org>: Recipient address rejected: User unknown in virtual mailbox table' });
    expect(v).toEqual({ reason: 'userunknown', hard: true, category: 'Invalid Email', permanent: true });
  });

  it('lets a rate-limit text override a 5.1.1 code', () => {
    const v = classifyReply({ code: 550, enhanced: '5.1.1', text: '550 5.1.1 Too many messages, rate limit exceeded for this sender' });
    expect(v.reason).not.toBe('userunknown');
    expect(v.reason).toBe('speeding');
    expect(v.hard).toBe(false);
  });

  it('calls a 550 with a Spamhaus listing blocked, not userunknown', () => {
    const v = classifyReply({ code: 550, text: '550 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org' });
    expect(v.reason).toBe('blocked');
    expect(v.category).toBe('Blocked');
    expect(v.hard).toBe(false);
  });

  it('never makes integration errors hard', () => {
    const cases = [
      { code: 535, enhanced: '5.7.8', text: '535 5.7.8 Error: authentication failed: UGFzc3dvcmQ6' },
      { code: 530, enhanced: '5.7.0', text: '530 5.7.0 Must issue a STARTTLS command first' },
      { text: 'connect to mx.example.org[192.0.2.1]:25: Connection refused' },
      { code: 454, enhanced: '4.7.0', text: '454 4.7.0 TLS not available due to local problem' },
      { text: 'TLS handshake failed: certificate verify failed' },
    ];
    for (const c of cases) expect(classifyReply(c).hard, c.text).toBe(false);
  });

  it('keeps a full mailbox soft, and temporary on 452 4.2.2', () => {
    const v = classifyReply({ code: 452, enhanced: '4.2.2', text: '452 4.2.2 The email account that you tried to reach is over quota.' });
    expect(v).toMatchObject({ reason: 'mailboxfull', hard: false, permanent: false, category: 'Mailbox Error' });
  });

  it('does not flag a temporary user-unknown', () => {
    expect(classifyReply({ code: 450, enhanced: '4.1.1', text: '450 4.1.1 <a@b.example>: Recipient address rejected: User unknown' }).hard).toBe(false);
  });

  it('makes notaccept hard only on a permanent failure', () => {
    expect(classifyReply({ code: 556, enhanced: '5.1.10', text: '556 5.1.10 Recipient address has null MX' })).toMatchObject({ reason: 'notaccept', hard: true });
    expect(classifyReply({ code: 450, enhanced: '4.1.10', text: '450 4.1.10 domain has null MX' }).hard).toBe(false);
  });

  it('reads reasons from enhanced codes when the text says nothing', () => {
    expect(classifyReply({ code: 552, enhanced: '5.3.4', text: '552 5.3.4 Error' }).reason).toBe('mesgtoobig');
    expect(classifyReply({ code: 550, enhanced: '5.7.26', text: '550 5.7.26 Unauthenticated email is not accepted' }).reason).toBe('authfailure');
    expect(classifyReply({ code: 550, enhanced: '5.1.6', text: '550 5.1.6 Gone' }).reason).toBe('hasmoved');
    expect(classifyReply({ code: 250, enhanced: '2.0.0', text: '250 2.0.0 Ok: queued' }).reason).toBe('delivered');
  });

  it('tells sender rejections, relaying and host unknown apart', () => {
    expect(classifyReply({ code: 553, enhanced: '5.1.8', text: '553 5.1.8 <s@x.example>: Sender address rejected: Domain not found' }).reason).toBe('rejected');
    expect(classifyReply({ code: 554, enhanced: '5.7.1', text: '554 5.7.1 <r@y.example>: Relay access denied' }).reason).toBe('norelaying');
    expect(classifyReply({ text: 'Host or domain name not found. Name service error for name=nx.example type=MX' })).toMatchObject({ reason: 'hostunknown' });
  });

  it('turns "user unknown" after DATA into filtered', () => {
    expect(classifyReply({ code: 550, text: '550 User unknown', command: 'DATA' }).reason).toBe('filtered');
    expect(classifyReply({ code: 550, text: '550 User unknown', command: 'RCPT' }).reason).toBe('userunknown');
  });

  it('gives onhold for an unexplained failure and undefined for nothing', () => {
    expect(classifyReply({ code: 550, text: '550 Nope' }).reason).toBe('onhold');
    expect(classifyReply({}).reason).toBe('undefined');
  });

  it('maps every reason to one of the six categories with advice', () => {
    for (const r of REASONS) expect(CATEGORIES).toContain(categoryOf(r));
    for (const c of CATEGORIES) {
      const info = categoryInfo(c);
      expect(info.why.length).toBeGreaterThan(10);
      expect(info.todo.length).toBeGreaterThan(10);
    }
  });
});

describe('parseReply', () => {
  it('splits multi-line replies', () => {
    expect(parseReply('550-5.1.1 The email account that you tried to reach does not exist.\r\n550 5.1.1 Please try again')).toEqual({
      code: 550, enhanced: '5.1.1', text: 'The email account that you tried to reach does not exist. Please try again',
    });
  });
});
