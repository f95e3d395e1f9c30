import { describe, expect, it } from 'vitest';
import { collect, fixture, tempDir, writeTemp } from './helpers.js';
import { EXCHANGE_DEFAULT_FIELDS } from '../../src/reconcile/index.js';

const dir = tempDir();

describe('exchange message tracking reader', () => {
  it('reads the public sample: RECEIVE, SEND, SENDEXTERNAL, skipping other events, quoted fields with commas', async () => {
    const { records, stats } = await collect(fixture('exchange-msgtrk.txt'));
    expect(stats.malformed).toBe(0);
    expect(records.map((r) => [r.status, r.rcpt, r.messageId])).toEqual([
      ['received', 'ops-alerts@corp.example.com', '20231107190021.7A2E31C5B8@backup01.corp.example.com'],
      ['sent', 'greta.lindqvist@example.org', '20231202000002.4B7D9E1A3C@monitor.example.org'],
      ['sent', 'someone@example.net', '1727966987.331905.5517@app.example.net'],
    ]);
    expect(records[1]).toMatchObject({ dsn: '2.1.5', code: 250, relay: 'exch.example.org[198.51.100.2]', from: 'helpdesk@example.org', queueId: '38201746620593' });
    expect(records[2]).toMatchObject({ from: '', relay: 'corp-example-org.mail.protection.example.net[198.51.100.77]', time: new Date('2024-10-03T14:51:22.604Z') });
    expect(records[2]!.line).toBe(9);
  });

  it('aligns several recipients with their statuses and keeps bracketed statuses whole', async () => {
    const header = `#Software: Microsoft Exchange Server\n#Fields: ${EXCHANGE_DEFAULT_FIELDS}\n`;
    const row = (event: string, rcpts: string, status: string, subject = 'hi'): string => {
      const cols = EXCHANGE_DEFAULT_FIELDS.split(',').map(() => '');
      const set = (name: string, v: string): void => {
        cols[EXCHANGE_DEFAULT_FIELDS.split(',').indexOf(name)] = v;
      };
      set('date-time', '2024-05-01T10:00:00.000Z');
      set('event-id', event);
      set('message-id', '<multi@app.example>');
      set('internal-message-id', '1234');
      set('recipient-address', rcpts);
      set('recipient-status', status);
      set('message-subject', subject);
      set('sender-address', 'app@example.com');
      set('server-hostname', 'EX01');
      return cols.map((c) => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',');
    };
    const log =
      header +
      [
        row('SEND', 'a@x.example;b@x.example', '250 2.1.5 Recipient OK;250 2.1.5 Recipient OK'),
        row('FAIL', 'c@x.example', '[{LRT=};{LED=550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup};{FQDN=};{IP=}]'),
        row('DEFER', 'd@x.example;e@x.example', '451 4.4.0 DNS query failed', 'subject with "quotes", a comma\nand a line break'),
        'not,a,valid,"row',
        'second line of the broken row',
        '2024-05-01T10:00:09.000Z,too-short-row',
      ].join('\r\n');
    const file = await writeTemp(await dir(), 'MSGTRK2024050110-1.LOG', log);
    const { records, stats } = await collect(file);
    expect(records.map((r) => [r.status, r.rcpt, r.dsn])).toEqual([
      ['sent', 'a@x.example', '2.1.5'],
      ['sent', 'b@x.example', '2.1.5'],
      ['bounced', 'c@x.example', '5.1.10'],
      ['deferred', 'd@x.example', '4.4.0'],
      ['deferred', 'e@x.example', '4.4.0'],
    ]);
    expect(records[2]!.reply).toContain('RecipientNotFound; Recipient not found');
    expect(records[3]!.line).toBe(5);
    // The record whose quote never closed (lines 7-8) and the short row that ended it.
    expect(stats.malformed).toBe(2);
    expect(stats.malformedSamples.map((m) => m.line)).toEqual([7, 9]);
  });
});
