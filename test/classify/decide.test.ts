// The decision's semantics: stage, status and words together; providers' own codes; soft when unsure.
import { describe, expect, it } from 'vitest';
import { classifyReply } from '../../src/classify/index.js';

const v = (text: string, command?: string, permanent = true) => classifyReply({ text, command, permanent });

describe('reason decision', () => {
  it('trusts "user unknown" as a missing mailbox only at RCPT or under an x.1.x status', () => {
    expect(v('550 5.1.1 <a@b.example>: User unknown')).toMatchObject({ reason: 'userunknown', hard: true });
    expect(v('550 User unknown', 'RCPT')).toMatchObject({ reason: 'userunknown', hard: true });
    // No stage and no address-level status: the words alone could be a filter's, so soft.
    expect(v('550 5.0.0 <a@b.example>: User unknown')).toMatchObject({ reason: 'filtered', hard: false });
    expect(v('550 5.2.1 <a@b.example>... User Unknown')).toMatchObject({ reason: 'filtered', hard: false });
    expect(v('550 5.1.1 User unknown', 'DATA')).toMatchObject({ hard: true }); // the status says x.1.1
    expect(v('550 User unknown', 'DATA')).toMatchObject({ reason: 'filtered', hard: false });
  });

  it('lets words of another cause outrank an address-level status', () => {
    expect(v('550 5.1.0 <s@sender.example> sender rejected')).toMatchObject({ reason: 'rejected', hard: false });
    expect(v('550 5.1.1 Relay access denied')).toMatchObject({ reason: 'norelaying', hard: false });
    expect(v('550 5.1.1 Too many messages, rate limit exceeded for this sender').hard).toBe(false);
  });

  it('reads a refusal at MAIL FROM as the sender\'s unless the words name something else', () => {
    expect(v('550 5.7.1 Access denied', 'MAIL').reason).toBe('rejected');
    expect(v('554 Transaction failed', 'MAIL').reason).toBe('systemerror');
  });

  it('falls back on RFC 3463 subjects and the stage', () => {
    expect(v('550 5.6.0 nope').reason).toBe('contenterror');
    expect(v('550 5.7.0 nope').reason).toBe('securityerror');
    expect(v('502 5.5.2 Command unrecognized').reason).toBe('syntaxerror');
    expect(v('554 go away', 'CONN').reason).toBe('blocked');
    expect(v('452 4.3.2 Connection rate limit exceeded.', undefined, false).reason).toBe('toomanyconn');
  });

  it('reads providers\' documented codes', () => {
    expect(v('550 mwinf5c04 ME Adresse IP source bloquee pour incident de spam. Client host blocked for spamming issues. OFR006_102 Ref').reason).toBe('blocked');
    expect(v('550 5.1.1 Adresse d au moins un destinataire invalide. Invalid recipient. OFR_416 [416]')).toMatchObject({ reason: 'userunknown', hard: true });
    expect(v('552 5.1.1 Boite du destinataire pleine. Recipient overquota. OFR_417').reason).toBe('mailboxfull');
    expect(v('550 5.7.606 Access denied, banned sending IP [192.0.2.1].').reason).toBe('blocked');
    expect(v('550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup')).toMatchObject({ reason: 'userunknown', hard: true });
    expect(v('554 delivery error: dd This user doesn\'t have a yahoo.com account (x@yahoo.com) [0]')).toMatchObject({ reason: 'userunknown', hard: true });
    // Cox, Spectrum and GoDaddy references outrank the generic words ("sender rejected") around them.
    expect(v('554 5.7.1 <s@x.example> sender rejected. Refer to Error Codes section at https://www.cox.com/ AUP#CDRBL').reason).toBe('blocked');
    expect(v('550 5.1.0 <s@x.example> sender rejected. Please see spectrum.net AUP#In-1310')).toMatchObject({ reason: 'toomanyconn', hard: false });
    expect(v('554 Connection refused. This IP is listed on the Spamhaus Block List (SBL). IB104').reason).toBe('blocked');
    expect(v('550 This IP has sent too many messages this hour. IB504').reason).toBe('toomanyconn');
  });

  it('keeps "blocked using" a block even though the list is called Spamhaus', () => {
    expect(v('554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org').reason).toBe('blocked');
  });
});
