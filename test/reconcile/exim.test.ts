import { describe, expect, it } from 'vitest';
import { brief, collect, fixture, tempDir, writeTemp } from './helpers.js';

const dir = tempDir();

describe('exim reader on public samples', () => {
  it('reads arrivals, local deliveries with <original> forms, -> additional addresses and remote deliveries', async () => {
    const { records, stats } = await collect(fixture('exim-mainlog-local-and-remote.txt'));
    expect(stats.malformed).toBe(0);
    expect(records.map((r) => [r.queueId, r.status, r.rcpt])).toEqual([
      ['1m1Xa2-0003Kd-7Q', 'received', undefined],
      ['1m1Xa2-0003Kd-7Q', 'sent', 'lena@example.com'],
      ['1m1Xa2-0003Kd-7Q', 'sent', 'tomasz@example.com'],
      ['1m1Xa2-0003Kd-7Q', 'sent', 'tomasz@example.com'],
      ['1enQ4r-0007Zx-Lb', 'received', undefined],
      ['1enQ4r-0007Zx-Lb', 'sent', 'k.tan@example.net'],
    ]);
    expect(brief(records[5]!)).toEqual({
      time: new Date('2018-02-19T10:41:39Z'),
      queueId: '1enQ4r-0007Zx-Lb',
      from: 'enquiries@example.org',
      messageId: '5d1f0c9e8b7a4c3d2e1f0a9b8c7d6e5f@example.org',
      rcpt: 'k.tan@example.net',
      status: 'sent',
      relay: 'mx1.example.net[203.0.113.27]',
      reply: '250 2.0.0 OK 1519036899 q3si2281047pgs.51 - gsmtp',
      dsn: '2.0.0',
      code: 250,
      via: 'smtp',
    });
    expect(records[2]!.reply).toBe('250 2.0.0 <tomasz@example.com> kX7pQ2hN9mYcRAAAq3Zt1w:2 Saved');
    // Local transports deliver into a mailbox here; H= hands the message to another host.
    expect(records.filter((r) => r.status === 'sent').map((r) => r.via)).toEqual(records.filter((r) => r.status === 'sent').map((r) => (r.raw.includes(' H=') && !/T=\S*lmtp/.test(r.raw) ? 'smtp' : 'mailbox')));
  });

  it('reads ** failures with the remote reply, and parent/original address forms', async () => {
    const { records } = await collect(fixture('exim-mainlog-failures.txt'));
    const failure = records.find((r) => r.rcpt === 'li.wei@example.net')!;
    expect(failure).toMatchObject({
      status: 'bounced',
      code: 550,
      relay: 'mx2.example.net[203.0.113.218]',
      from: 'mei.ong@example.com',
      messageId: '04a2c01e6f1b$7c3d9e10$74b8db30$@example.com',
    });
    expect(failure.reply).toMatch(/^SMTP error from remote mail server after RCPT TO:<li.wei@example.net>: 550 Mailbox does not exist/);
    const unknown = records.find((r) => r.queueId === '1do2Ly-0004Gh-Uq' && r.status === 'bounced')!;
    expect(unknown).toMatchObject({ rcpt: 'petras@example.com', reply: 'Unknown user', from: '' });
    const forwarded = records.find((r) => r.rcpt === 'petras.fwd@example.net')!;
    expect(forwarded).toMatchObject({ status: 'sent', origRcpt: 'petras@example.com', relay: 'mx.example.net[203.0.113.89]' });
  });
});

describe('exim reader on generated logs', () => {
  it('handles deferrals, expiry, pids, zones, new-style ids, syslog-forwarded lines and Completed', async () => {
    const log = [
      '2024-02-01 09:00:00.120 +0100 [4242] 1rAbCd-000000005vi-0001 <= bounces+Q77@rebound.example H=app [10.0.0.5] P=esmtp S=900 id=<m9@app.example>',
      '2024-02-01 09:00:01.000 +0100 [4243] 1rAbCd-000000005vi-0001 == a@slow.example R=dnslookup T=remote_smtp defer (-44) H=mx.slow.example [192.0.2.7]: SMTP error from remote mail server after RCPT TO:<a@slow.example>: 451 4.7.1 Greylisted, try later',
      '2024-02-01 09:00:02.000 +0100 [4243] 1rAbCd-000000005vi-0001 ** b@gone.example R=dnslookup T=remote_smtp: retry timeout exceeded',
      '2024-02-01 09:00:03.000 +0100 [4243] 1rAbCd-000000005vi-0001 ** c@nowhere.example: Unrouteable address',
      '2024-02-01 09:00:04.000 +0100 [4243] 1rAbCd-000000005vi-0001 Completed',
      '2024-02-01 09:00:05.000 +0100 [4243] 1rAbCd-000000005vi-0001 => late@x.example R=dnslookup T=remote_smtp H=mx.x.example [192.0.2.8]:587 C="250 ok"',
      'Aug 15 18:14:12 web07 exim[18841]: 1dhQ7c-0002aK-Rw => kim++sent@example.net (kim++Sent@example.net, kim@example.org) <kim@example.org> F=<kim@example.net> P=<> R=virtuser_lmtp T=remote_lmtp S=7302 H=store3.mail.example.net [198.51.100.113]:2125 C="LMTP Successful delivery:250 Requested mail action okay, completed" QT=1s DT=0s',
      'not a log line at all',
    ].join('\n');
    const file = await writeTemp(await dir(), 'mainlog', log);
    const { records, stats } = await collect(file, { referenceDate: new Date('2017-12-01Z'), reboundIdPattern: /^bounces\+([^@]+)@/ });
    expect(records.map((r) => [r.status, r.rcpt, r.dsn, r.code])).toEqual([
      ['received', undefined, undefined, undefined],
      ['deferred', 'a@slow.example', '4.7.1', 451],
      ['expired', 'b@gone.example', undefined, undefined],
      ['bounced', 'c@nowhere.example', undefined, undefined],
      ['sent', 'late@x.example', undefined, 250],
      ['sent', 'kim++sent@example.net', undefined, undefined],
    ]);
    expect(records[1]).toMatchObject({ time: new Date('2024-02-01T08:00:01Z'), relay: 'mx.slow.example[192.0.2.7]', reboundQueueId: 'Q77', messageId: 'm9@app.example' });
    expect(records[4]!.messageId).toBeUndefined(); // after Completed the state is gone
    expect(records[4]!.relay).toBe('mx.x.example[192.0.2.8]:587');
    expect(records[5]).toMatchObject({ origRcpt: 'kim@example.org', relay: 'store3.mail.example.net[198.51.100.113]:2125', time: new Date('2017-08-15T18:14:12Z') });
    expect(stats.malformed).toBe(1);
  });
});
