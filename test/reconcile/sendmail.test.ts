import { nextHopIds } from '../../src/reconcile/parse/smtp-reply.js';
import { describe, expect, it } from 'vitest';
import { brief, collect, fixture, tempDir, writeTemp } from './helpers.js';

const dir = tempDir();

describe('sendmail reader', () => {
  it('joins from=/msgid= to deliveries by queue id and reports the DSN it generated', async () => {
    const { records, stats } = await collect(fixture('sendmail-user-unknown.txt'), { referenceDate: new Date('2007-12-01Z') });
    expect(stats.malformed).toBe(0);
    expect(records.map((r) => [r.queueId, r.status, r.rcpt])).toEqual([
      ['l9M5VIqT005291', 'received', undefined],
      ['l9M5VIqR005286', 'sent', 'alerts@example.com'],
      ['l9M5VIqT005291', 'bounced', 'alerts@example.com'],
      ['l9M5VIqT005291', 'other', undefined],
      ['l9M5VMqT005293', 'sent', 'nobody@devbox'],
    ]);
    expect(brief(records[2]!)).toEqual({
      time: new Date('2007-10-22T07:31:21Z'),
      queueId: 'l9M5VIqT005291',
      from: 'nobody@devbox',
      messageId: '200710220531.l9M5VIqR005286@devbox',
      rcpt: 'alerts@example.com',
      status: 'bounced',
      dsn: '5.1.1',
      relay: 'example.com. [192.0.2.210]',
      reply: 'User unknown',
      host: 'devbox',
    });
    expect(records[3]).toMatchObject({ ndrQueueId: 'l9M5VMqT005293', reply: 'User unknown' });
    expect(records[1]!.reply).toBe('l9M5VIqT005291 Message accepted for delivery');
    // The submission agent's hand-off names the MTA's queue id for the message.
    expect(nextHopIds(records[1]!.reply)).toEqual(['l9M5VIqT005291']);
  });

  it('reads unpadded days ("Feb 9") and relays with spaces', async () => {
    const { records } = await collect(fixture('sendmail-mpeix-relay.txt'), { referenceDate: new Date('2002-03-01Z') });
    const last = records[records.length - 1]!;
    expect(last).toMatchObject({
      time: new Date('2002-02-09T08:03:31Z'),
      rcpt: 'ops@mailhub.example.net',
      from: 'MGR.PROD@hp3k.example.com',
      messageId: '200202091303.g19D3Rab040311@hp3k.example.com',
      relay: 'mailhub.example.net. [192.0.2.41]',
      status: 'sent',
    });
  });

  it('splits multi-recipient to= lines, maps Deferred, and flags expiry DSNs', async () => {
    const log = [
      'Mar  1 10:00:00 mx sm-mta[1]: 4B1A2b3C000123: from=<s@x.example>, size=10, class=0, nrcpts=3, msgid=<k@x.example>, proto=ESMTP, daemon=MTA, relay=app [10.0.0.5]',
      'Mar  1 10:00:05 mx sm-mta[2]: 4B1A2b3C000123: to=<a@y.example>,<b@y.example>, delay=00:00:05, xdelay=00:00:05, mailer=esmtp, pri=120000, relay=mx.y.example. [192.0.2.3], dsn=4.0.0, stat=Deferred: Connection refused by mx.y.example.',
      'Mar  1 10:00:06 mx sm-mta[2]: 4B1A2b3C000123: to=c@z.example, delay=00:00:06, mailer=esmtp, pri=120000, relay=mx.z.example. [192.0.2.4], dsn=2.0.0, stat=Sent (ok, queued as 77)',
      'Mar  6 10:00:00 mx sm-mta[3]: 4B1A2b3C000123: 4B6A2b3C000999: DSN: Cannot send message for 5 days',
      'Mar  6 10:00:00 mx sm-mta[3]: 4B1A2b3C000123: to=<a@y.example>, delay=5+00:00:00, mailer=esmtp, pri=9000000',
    ].join('\n');
    const file = await writeTemp(await dir(), 'maillog', log);
    const { records, stats } = await collect(file, { referenceDate: new Date('2024-03-07Z') });
    expect(records.map((r) => [r.status, r.rcpt, r.reply])).toEqual([
      ['received', undefined, undefined],
      ['deferred', 'a@y.example', 'Connection refused by mx.y.example.'],
      ['deferred', 'b@y.example', 'Connection refused by mx.y.example.'],
      ['sent', 'c@z.example', 'ok, queued as 77'],
      ['expired', undefined, 'Cannot send message for 5 days'],
    ]);
    expect(records[4]!.ndrQueueId).toBe('4B6A2b3C000999');
    expect(stats.malformed).toBe(1); // to= without stat=
  });
});
