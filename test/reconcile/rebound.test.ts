import { describe, expect, it } from 'vitest';
import { brief, collect, fixture, tempDir, writeTemp } from './helpers.js';

const dir = tempDir();

describe('rebound pino log reader', () => {
  it('maps delivery attempts and skips other lines', async () => {
    const { records, stats } = await collect(fixture('rebound-pino.jsonl'));
    expect(stats.malformed).toBe(0);
    expect(records.map(brief)).toEqual([
      {
        time: new Date(1727966982340),
        queueId: '7K2WD9P0QX31MB5T',
        reboundQueueId: '7K2WD9P0QX31MB5T',
        messageId: '1727966987.331905.5517@app.example.net',
        rcpt: 'someone@example.net',
        status: 'sent',
        dsn: '2.6.0',
        code: 250,
        reply: '250 2.6.0 <1727966987.331905.5517@app.example.net> Queued mail for delivery',
        relay: 'corp-example-org.mail.protection.example.net',
        via: 'smtp',
      },
      expect.objectContaining({ rcpt: 'other@example.org', status: 'bounced', dsn: '5.1.1', code: 550 }),
    ]);
  });

  it('maps deferred/expired and counts broken JSON as malformed', async () => {
    const log = [
      JSON.stringify({ level: 30, time: 1, msg: 'attempt', queueId: 'Q1', rcpt: 'a@x', status: 'deferred', code: 451 }),
      JSON.stringify({ level: 30, time: 2, msg: 'attempt', queueId: 'Q1', rcpt: 'a@x', status: 'expired' }),
      JSON.stringify({ level: 30, time: 3, msg: 'queued', queueId: 'Q2', rcpt: 'b@x', status: 'queued' }),
      '{"level":30,"time":4,"rcpt":"x","status":"deliv',
      'plain text',
    ].join('\n');
    const file = await writeTemp(await dir(), 'rebound.jsonl', log);
    const { records, stats } = await collect(file, { format: 'rebound' });
    expect(records.map((r) => r.status)).toEqual(['deferred', 'expired']);
    expect(stats.malformed).toBe(2);
  });
});
