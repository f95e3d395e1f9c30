import { describe, expect, it } from 'vitest';
import { collect, fixture, tempDir, writeTemp } from './helpers.js';

const dir = tempDir();

describe('Microsoft 365 message trace reader', () => {
  it('reads the summary export (Received, SenderAddress, RecipientAddress, Status, ...)', async () => {
    const { records, stats } = await collect(fixture('m365-trace-summary.csv'));
    expect(stats.malformed).toBe(0);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      format: 'm365',
      time: new Date('2023-04-11T07:42:51.238Z'),
      from: 'noreply@example.com',
      rcpt: 'dana@exampletenant.example.org',
      messageId: '5e81b3d2-9c47-4a0f-b6e1-2d7f93a0c418@az.westeurope.production.example.net',
      queueId: '4d2f6a81-37b9-4e05-8c1a-08db3a5e71c2',
      status: 'sent',
      relay: '203.0.113.56',
    });
  });

  it('maps every summary status, US-style dates and a PowerShell #TYPE line', async () => {
    const rows = ['Delivered', 'Failed', 'Pending', 'Expanded', 'Quarantined', 'FilteredAsSpam', 'GettingStatus'].map(
      (s, i) => `"9/5/2022 6:10:1${i} PM","app@x.example","r${i}@y.example","subj, with comma","${s}","<id${i}@x>"`,
    );
    const log = ['#TYPE Deserialized.Microsoft.Exchange.Management.ReportingTask.MessageTrace', 'Received,SenderAddress,RecipientAddress,Subject,Status,MessageId', ...rows].join('\r\n');
    const file = await writeTemp(await dir(), 'trace.csv', log);
    const { records } = await collect(file);
    expect(records.map((r) => r.status)).toEqual(['sent', 'bounced', 'deferred', 'other', 'other', 'other', 'other']);
    expect(records[0]!.time?.toISOString()).toBe('2022-09-05T18:10:10.000Z');
    expect(records[1]!.reply).toBe('Failed');
  });

  it('reads the extended report: recipient_status "rcpt##Event, Event;rcpt2##..."', async () => {
    const log = [
      '"origin_timestamp_utc","sender_address","Recipient_status","message_subject","total_bytes","message_id","network_message_id","original_client_ip","directionality","connector_id","delivery_priority"',
      '"2024-04-02T08:15:00.123Z","bounces+Q5@rebound.example","a@y.example##Receive, Deliver;b@y.example##Receive, Fail;c@y.example##Receive, Defer","Hello","5120","<ext@app.example>","7e1a-44","203.0.113.5","Incoming","",""',
    ].join('\n');
    const file = await writeTemp(await dir(), 'extended.csv', log);
    const { records } = await collect(file, { reboundIdPattern: /^bounces\+([^@]+)@/ });
    expect(records.map((r) => [r.rcpt, r.status, r.reply])).toEqual([
      ['a@y.example', 'sent', 'Receive, Deliver'],
      ['b@y.example', 'bounced', 'Receive, Fail'],
      ['c@y.example', 'deferred', 'Receive, Defer'],
    ]);
    expect(records[0]).toMatchObject({ messageId: 'ext@app.example', queueId: '7e1a-44', reboundQueueId: 'Q5', time: new Date('2024-04-02T08:15:00.123Z') });
  });

  it('reads a UTF-16LE export with a byte-order mark', async () => {
    const text = 'Received,SenderAddress,RecipientAddress,Subject,Status,MessageId\r\n2024-01-02T03:04:05,a@x,b@y,s,Delivered,<u16@x>\r\n';
    const file = await writeTemp(await dir(), 'utf16.csv', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    const { records, stats } = await collect(file);
    expect(stats.malformed).toBe(0);
    expect(records).toMatchObject([{ rcpt: 'b@y', status: 'sent', messageId: 'u16@x', time: new Date('2024-01-02T03:04:05Z') }]);
  });
});
