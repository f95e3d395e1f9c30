// The per-recipient and per-message event lists hold a bounded working set (the newest events),
// however many events the retention keeps on disk; a flagged recipient's list and a queued
// message's list keep theirs; windows (eventsSince) still see every event from the day files.
import { afterAll, describe, expect, it } from 'vitest';
import { emptyRecipient } from '../../src/recipients/index.js';
import { LowdbStore } from '../../src/store/index.js';
import { skimEvent } from '../../src/store/lowdb/event-skim.js';
import type { MessageRecord, RecipientEvent } from '../../src/types.js';
import { silentLogger } from '../../src/util/logger.js';
import { cleanup, tempDir } from '../helpers/rebound.js';

const NOW = Date.now();
const clock = { now: () => NOW };
const CAP = 1_000;
const open = (dir: string) =>
  new LowdbStore({ dir, shards: 4, flushIntervalMs: 3_600_000, compactIntervalMs: 3_600_000, eventRetentionDays: 30, indexedEvents: CAP, logger: silentLogger(), clock });

const RCPTS = 300;
const ROUNDS = 10; // 3,000 attempts, three times the working set
const rcpt = (i: number) => `User${i}@Example.org`;
const attempt = (i: number, round: number): Extract<RecipientEvent, { type: 'attempt' }> => ({
  type: 'attempt', id: `a${round}-${i}`, time: NOW - 3_600_000 + round * RCPTS + i, queueId: `Q${round}-${i}`, messageId: null, rcpt: rcpt(i), attempt: 1,
  status: 'delivered', stage: 'eod', code: 250, enhanced: '2.0.0', response: '250 2.0.0 Ok', mx: 'mx.example.org', ip: '192.0.2.1', tls: true,
  startedAt: NOW, finishedAt: NOW,
});
const queued = (queueId: string): MessageRecord => ({
  queueId, messageId: null, from: 'app@example.com', user: null, clientIp: '127.0.0.1', size: 100, receivedAt: NOW - 7_200_000, nextAttemptAt: NOW,
  rcpts: [{ rcpt: 'slow@example.org', status: 'deferred', attempts: 1, lastCode: 451, lastEnhanced: '4.7.1', lastResponse: '451 4.7.1 later', lastMx: 'mx.example.org', updatedAt: NOW }],
  status: 'queued',
});

const dirs: string[] = [];
afterAll(async () => dirs.forEach(cleanup));

async function held(store: LowdbStore): Promise<number> {
  let n = 0;
  for (let i = 0; i < RCPTS; i++) n += (await store.eventsForRecipient(rcpt(i))).length;
  return n;
}

describe('event working set', () => {
  it('keeps the newest events in the lists, a flagged recipient and a queued message keep theirs, windows see all', async () => {
    const dir = tempDir('rebound-evbound-');
    dirs.push(dir);
    const store = open(dir);
    await store.open();
    await store.putRecipient({ ...emptyRecipient('Flagged@Example.org'), invalid: true, reason: 'userunknown', flaggedAt: NOW - 3_600_000, lastEventAt: NOW - 3_600_000 });
    await store.putMessage(queued('QSLOW'));
    // The oldest events: the flag that reconcile looks for, and a deferral of a message still queued.
    await store.appendEvents([{ type: 'flag', id: 'f1', time: NOW - 3_700_000, rcpt: 'Flagged@Example.org', reason: 'userunknown', queueId: 'QF', by: 'attempt' }]);
    await store.appendEvents([{ ...attempt(0, 0), id: 'slow', queueId: 'QSLOW', rcpt: 'slow@example.org', status: 'deferred', code: 451, time: NOW - 3_700_000 }]);
    for (let round = 0; round < ROUNDS; round++) for (let i = 0; i < RCPTS; i++) await store.appendEvents([attempt(i, round)]);

    const check = async (s: LowdbStore) => {
      expect(await held(s)).toBeLessThanOrEqual(CAP);
      expect(await held(s)).toBeGreaterThanOrEqual(CAP - 2);
      // The newest rounds are whole, the oldest gone.
      expect((await s.eventsForRecipient(rcpt(7))).map((e) => e.id)).toEqual(['a7-7', 'a8-7', 'a9-7']);
      expect((await s.eventsForMessage('Q0-5'))).toEqual([]);
      expect((await s.eventsForMessage('Q9-5')).map((e) => e.id)).toEqual(['a9-5']);
      expect((await s.eventsForRecipient('flagged@example.org')).map((e) => e.id)).toEqual(['f1']);
      expect((await s.eventsForMessage('QSLOW')).map((e) => e.id)).toEqual(['slow']);
    };
    await check(store);
    const all = async (s: LowdbStore) => {
      let n = 0;
      for await (const _ of s.eventsSince(NOW - 4_000_000)) n++;
      return n;
    };
    expect(await all(store)).toBe(RCPTS * ROUNDS + 2);
    await store.close();

    // Start-up reads the retention's day files through the same bound.
    const again = open(dir);
    await again.open();
    await check(again);
    expect(await all(again)).toBe(RCPTS * ROUNDS + 2);
    await again.close();
  });
});

describe('skimming an old event line', () => {
  it('reads time, rcpt and queueId as JSON.parse does, or declines', () => {
    const events: RecipientEvent[] = [
      attempt(3, 1),
      { ...attempt(4, 1), response: '550 5.1.1 "rcpt":"ceo@bank.example" <x"y@example.org> \\ "queueId":"EVIL"', rcpt: 'Odd"Quote@Example.org' },
      { type: 'flag', id: 'f', time: NOW, rcpt: 'A@Example.org', reason: 'userunknown', queueId: null, by: 'attempt' },
      { type: 'report', id: 'r', time: NOW + 1, reportId: 'R1', kind: 'dsn', queueId: null, rcpt: null, verified: false, matchedBy: null, status: '5.1.1', replycode: '550', reason: 'userunknown', category: 'Invalid Email', hard: true, diagnostic: '"rcpt":"x@y"', decodedby: 'dsn' },
      { type: 'integration', id: 'i', time: NOW, queueId: 'QI', cause: 'auth', mx: null, code: 535, response: 'no', rcpts: ['b@example.org'] },
    ];
    let declined = 0;
    for (const e of events) {
      const line = JSON.stringify(e);
      const parsed = JSON.parse(line) as RecipientEvent;
      const skim = skimEvent(line);
      if (!skim) {
        declined++;
        continue;
      }
      expect(skim).toEqual({ time: parsed.time, rcpt: 'rcpt' in parsed ? parsed.rcpt : null, queueId: 'queueId' in parsed ? parsed.queueId : null });
    }
    expect(declined).toBe(2); // the escaped address and the integration event are parsed instead
  });
});
