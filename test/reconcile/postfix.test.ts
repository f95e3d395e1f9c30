import { describe, expect, it } from 'vitest';
import { brief, collect, fixture, tempDir, writeTemp } from './helpers.js';
import { PostfixReader, type LogEvidence } from '../../src/reconcile/index.js';

const REF_2018 = new Date('2018-12-31T00:00:00Z');
const dir = tempDir();

describe('postfix reader on public samples', () => {
  it('joins cleanup message-id and qmgr from= to the local delivery line', async () => {
    const { records, stats } = await collect(fixture('postfix-local-delivery.txt'), { referenceDate: REF_2018 });
    expect(stats.malformed).toBe(0);
    expect(records).toHaveLength(1);
    expect(brief(records[0]!)).toEqual({
      time: new Date('2018-06-04T09:12:41Z'),
      queueId: '3F9A2C1D8B',
      messageId: 'CAH7xQk2Lm9pVr4Tz8wNbE3u6YdJsKa1oFgR-=qp@mail.example.net',
      from: 'jordan.mills@example.net',
      rcpt: 'jmills@example.org',
      status: 'sent',
      dsn: '2.0.0',
      relay: 'local',
      reply: 'delivered to maildir',
      host: 'mx-a1',
      via: 'mailbox',
    });
    expect(records[0]!.line).toBe(5);
    expect(records[0]!.format).toBe('postfix');
  });

  it('reports a bounce, the notification queue id, and the bounce delivery (null sender)', async () => {
    const { records } = await collect(fixture('postfix-bounce-unknown-user.txt'), { referenceDate: new Date('2010-12-01Z') });
    expect(records.map((r) => [r.queueId, r.status, r.rcpt, r.from])).toEqual([
      ['7C3D1A2B90', 'bounced', 'siteadmin@example.com', 'www-data@example.com'],
      ['7C3D1A2B90', 'other', undefined, 'www-data@example.com'],
      ['9E2F4B3C71', 'sent', 'www-data@example.com', ''],
    ]);
    expect(records[0]!.reply).toBe('unknown user: "siteadmin"');
    expect(records[0]!.dsn).toBe('5.1.1');
    expect(records[1]!.ndrQueueId).toBe('9E2F4B3C71');
    expect(records[2]!.messageId).toBe('20101103084107.9E2F4B3C71@localhost');
  });

  it('skips other programs in the mail log and parses "said:" reply codes', async () => {
    const { records, stats } = await collect(fixture('postfix-deferred-with-dovecot.txt'), { referenceDate: new Date('2008-10-01Z') });
    expect(stats.malformed).toBe(0);
    expect(records.map((r) => [r.queueId, r.status, r.code, r.dsn])).toEqual([
      ['A41C07E3F2', 'deferred', 452, '4.1.0'],
      ['C7D2918A4E', 'deferred', 452, '4.1.0'],
    ]);
    expect(records[1]!.messageId).toBe('4187.198.51.100.9.1222686570.webmail@homebox');
    expect(records[1]!.relay).toBe('smtp.isp.example[203.0.113.25]:587');
  });
});

function line(time: string, program: string, text: string): string {
  return `${time} mx1 postfix/${program}[123]: ${text}`;
}

describe('postfix reader on generated logs', () => {
  it('emits one record per recipient, with orig_to, relay and reply', async () => {
    const t = 'Mar  3 10:00:01';
    const log = [
      line(t, 'submission/smtpd', '4XyzB2kq9Hz7f3t: client=app[10.0.0.5], sasl_method=PLAIN'),
      line(t, 'cleanup', '4XyzB2kq9Hz7f3t: message-id=<m1@app.example>'),
      line(t, 'qmgr', '4XyzB2kq9Hz7f3t: from=<bounces+Q1@rebound.example>, size=900, nrcpt=3 (queue active)'),
      line(t, 'smtp', '4XyzB2kq9Hz7f3t: to=<a@x.example>, relay=mx.x.example[192.0.2.1]:25, delay=1, delays=0.1/0/0.4/0.5, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 9C1)'),
      line(t, 'smtp', '4XyzB2kq9Hz7f3t: to=<b@x.example>, orig_to=<alias@app.example>, relay=mx.x.example[192.0.2.1]:25, conn_use=2, delay=1, delays=0.1/0/0.4/0.5, dsn=5.1.1, status=bounced (host mx.x.example[192.0.2.1] said: 550 5.1.1 <b@x.example>: user unknown (in reply to RCPT TO command))'),
      line(t, 'lmtp', '4XyzB2kq9Hz7f3t: to=<c@local.example>, relay=dovecot, delay=1, delays=0.1/0/0/0.9, dsn=4.2.2, status=deferred (mailbox full)'),
    ].join('\n');
    const file = await writeTemp(await dir(), 'multi.txt', log);
    const { records } = await collect(file, { referenceDate: new Date('2024-03-04Z'), reboundIdPattern: /^bounces\+([^@]+)@/ });
    expect(records.map(brief)).toEqual([
      expect.objectContaining({ rcpt: 'a@x.example', status: 'sent', code: 250, relay: 'mx.x.example[192.0.2.1]:25', reply: '250 2.0.0 Ok: queued as 9C1' }),
      expect.objectContaining({ rcpt: 'b@x.example', origRcpt: 'alias@app.example', status: 'bounced', code: 550, dsn: '5.1.1' }),
      expect.objectContaining({ rcpt: 'c@local.example', status: 'deferred', relay: 'dovecot' }),
    ]);
    for (const r of records) {
      expect(r).toMatchObject({ queueId: '4XyzB2kq9Hz7f3t', messageId: 'm1@app.example', reboundQueueId: 'Q1', time: new Date('2024-03-03T10:00:01Z') });
    }
  });

  it('starts a new life when a queue id is reused after "removed"', async () => {
    const log = [
      line('Mar  3 10:00:01', 'cleanup', 'ABC123DEF: message-id=<first@x>'),
      line('Mar  3 10:00:01', 'qmgr', 'ABC123DEF: from=<one@x>, size=1, nrcpt=1 (queue active)'),
      line('Mar  3 10:00:02', 'smtp', 'ABC123DEF: to=<r1@y>, relay=y[192.0.2.9]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)'),
      line('Mar  3 10:00:02', 'qmgr', 'ABC123DEF: removed'),
      line('Mar  3 11:00:00', 'smtp', 'ABC123DEF: to=<stray@y>, relay=none, delay=1, delays=0/0/0/1, dsn=4.4.1, status=deferred (connect timeout)'),
      line('Mar  3 12:00:00', 'cleanup', 'ABC123DEF: message-id=<second@x>'),
      line('Mar  3 12:00:00', 'qmgr', 'ABC123DEF: from=<two@x>, size=1, nrcpt=1 (queue active)'),
      line('Mar  3 12:00:01', 'smtp', 'ABC123DEF: to=<r2@y>, relay=y[192.0.2.9]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)'),
    ].join('\n');
    const file = await writeTemp(await dir(), 'reuse.txt', log);
    const { records } = await collect(file, { referenceDate: new Date('2024-03-04Z') });
    expect(records.map((r) => [r.rcpt, r.messageId, r.from])).toEqual([
      ['r1@y', 'first@x', 'one@x'],
      ['stray@y', undefined, undefined],
      ['r2@y', 'second@x', 'two@x'],
    ]);
  });

  it('bumps the year when timestamps go from December to January', async () => {
    const log = [
      line('Dec 31 23:59:58', 'cleanup', 'A1B2C3D4E5: message-id=<ny@x>'),
      line('Dec 31 23:59:59', 'smtp', 'A1B2C3D4E5: to=<a@y>, relay=y[192.0.2.9]:25, delay=1, delays=0/0/0/1, dsn=4.0.0, status=deferred (try later)'),
      line('Jan  1 00:00:03', 'smtp', 'A1B2C3D4E5: to=<a@y>, relay=y[192.0.2.9]:25, delay=5, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)'),
      line('Jan  1 00:00:04', 'qmgr', 'A1B2C3D4E5: from=<s@x>, status=expired, returned to sender'),
    ].join('\n');
    const file = await writeTemp(await dir(), 'maillog-newyear', log);
    const { records } = await collect(file, { referenceDate: new Date('2025-01-02T08:00:00Z') });
    expect(records.map((r) => [r.time?.toISOString(), r.status])).toEqual([
      ['2024-12-31T23:59:59.000Z', 'deferred'],
      ['2025-01-01T00:00:03.000Z', 'sent'],
      ['2025-01-01T00:00:04.000Z', 'expired'],
    ]);
    expect(records[2]!.reply).toBe('returned to sender');
  });

  it('anchors a year-less log to the reference date (a December log read in January is last year)', async () => {
    const file = await writeTemp(await dir(), 'december', line('Dec 30 10:00:00', 'smtp', 'A1B2C3D4E5: to=<a@y>, relay=none, delay=1, delays=0/0/0/1, dsn=5.4.4, status=bounced (Host not found)'));
    const { records } = await collect(file, { referenceDate: new Date('2025-01-05Z') });
    expect(records[0]!.time?.toISOString()).toBe('2024-12-30T10:00:00.000Z');
  });

  it('reads RFC 3339 timestamps with microseconds and zone', async () => {
    const log = `2024-01-05T10:00:01.123456+01:00 mx1 postfix/smtp[99]: 4BcDf9Gh1Jk: to=<a@y>, relay=y[192.0.2.9]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)`;
    const file = await writeTemp(await dir(), 'rfc3339.txt', log);
    const { records } = await collect(file);
    expect(records[0]!.time?.toISOString()).toBe('2024-01-05T09:00:01.123Z');
    expect(records[0]!.queueId).toBe('4BcDf9Gh1Jk');
  });

  it('counts lines without a syslog prefix or with a broken delivery as malformed', async () => {
    const log = [
      'garbage that is not syslog',
      line('Mar  3 10:00:01', 'smtp', 'ABC123DEF: to=<a@y>, relay=y, delay=1'),
      line('Mar  3 10:00:01', 'smtpd', 'NOQUEUE: reject: RCPT from x[192.0.2.1]: 554 5.7.1 <a@y>: Relay access denied; from=<s@x> to=<a@y> proto=ESMTP helo=<x>'),
      line('Mar  3 10:00:01', 'smtpd', 'warning: hostname x does not resolve to address 192.0.2.1'),
    ].join('\n');
    const file = await writeTemp(await dir(), 'bad.txt', log);
    const { records, stats } = await collect(file, { format: 'postfix', referenceDate: new Date('2024-03-04Z') });
    expect(records).toHaveLength(0);
    expect(stats.malformed).toBe(2);
    expect(stats.malformedSamples.map((s) => s.line)).toEqual([1, 2]);
  });
});

describe('postfix joining state stays bounded', () => {
  it('holds no state for removed ids and caps ids never removed, over 200k lines', () => {
    const reader = new PostfixReader({ file: 'gen', referenceDate: new Date('2024-03-04Z'), utcOffsetMinutes: 0, maxOpenMessages: 1000 });
    let records = 0;
    const emit = (_: LogEvidence): void => {
      records++;
    };
    let n = 0;
    for (let i = 0; n < 200_000; i++) {
      const qid = (0x100000 + i).toString(16).toUpperCase();
      const feed = (program: string, text: string): void => {
        reader.readLine(line('Mar  3 10:00:01', program, `${qid}: ${text}`), ++n, emit);
      };
      feed('cleanup', `message-id=<${i}@gen>`);
      feed('qmgr', `from=<s@gen>, size=1, nrcpt=1 (queue active)`);
      feed('smtp', `to=<r${i}@y>, relay=y[192.0.2.9]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)`);
      // Every tenth message never sees "removed" (e.g. still queued when the log ends).
      if (i % 10 !== 0) feed('qmgr', 'removed');
    }
    expect(records).toBeGreaterThan(50_000);
    expect(reader.openMessages).toBeLessThanOrEqual(1000);
    expect(reader.peakOpenMessages).toBe(1000);
  });
});
