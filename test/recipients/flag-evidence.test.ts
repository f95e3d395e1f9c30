// Which evidence clears an invalid flag. Through a smarthost a 250 is acceptance: the flag stays
// and waits for that message's fate (success DSN, reconcile, or silence for the bounce window).
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LowdbStore } from '../../src/store/index.js';
import { applyReport, OutcomeRecorder, type Acceptance } from '../../src/recipients/index.js';
import { silentLogger } from '../../src/util/logger.js';
import type { ReportOutcome } from '../../src/types.js';

const T0 = Date.UTC(2024, 5, 1, 12, 0, 0);
const HOUR = 3_600_000;
const RCPT = 'gone@x.example';

let dir: string;
let store: LowdbStore;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'rebound-flag-'));
  store = new LowdbStore({ dir, shards: 2, flushIntervalMs: 60_000, eventRetentionDays: 3650, logger: silentLogger(), clock: { now: () => T0 } });
  await store.open();
});

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

async function accept(recorder: OutcomeRecorder, queueId: string, at: number): Promise<void> {
  await recorder.recordAttempt({
    queueId, messageId: `${queueId}@app.example`, rcpt: RCPT, attempt: 1, status: 'delivered', stage: 'data', code: 250, enhanced: '2.0.0',
    response: '250 2.0.0 Ok: queued as 4F1C2A3B5D', mx: 'smarthost', ip: '127.0.0.1', tls: false, startedAt: at - 10, finishedAt: at,
  });
}

/** A report on the return path, folded in as the report processor does. */
async function report(queueId: string, at: number, kind: 'bounce' | 'delivered' | 'relayed'): Promise<void> {
  const o: ReportOutcome = kind === 'bounce'
    ? { reportId: randomUUID(), kind: 'dsn', queueId, rcpt: RCPT, verified: true, matchedBy: 'verp', status: '5.1.1', replycode: '550', reason: 'userunknown', category: 'Invalid Email', hard: true, diagnostic: '550 5.1.1 gone', decodedby: 'RFC3464', action: 'failed' }
    : { reportId: randomUUID(), kind: 'dsn', queueId, rcpt: RCPT, verified: true, matchedBy: 'verp', status: '2.0.0', replycode: '250', reason: 'delivered', category: 'Not Delivered', hard: false, diagnostic: '250 ok', decodedby: 'RFC3464', action: kind };
  const { record, changes } = applyReport((await store.getRecipient(RCPT)), o, at);
  if (record) await store.putRecipient(record);
  for (const c of changes) await store.appendEvents([{ type: c, id: randomUUID(), time: at, rcpt: RCPT, reason: o.reason, queueId, by: 'report' }]);
}

const flagTrail = async () => (await store.eventsForRecipient(RCPT)).filter((e) => e.type === 'flag' || e.type === 'clear').map((e) => e.type);

describe('flag-clearing evidence', () => {
  it('smarthost mode: an address that keeps bouncing never shows a cleared flag between its bounces', async () => {
    const recorder = new OutcomeRecorder(store, { acceptance: 'accepted' });
    const seen: boolean[] = [];
    for (let i = 0; i < 5; i++) {
      const at = T0 + i * 2 * HOUR;
      await accept(recorder, `Q${i}`, at);
      seen.push((await store.getRecipient(RCPT))!.invalid);
      expect(await recorder.settleAwaiting(at + 10 * 60_000, HOUR)).toBe(0);
      await report(`Q${i}`, at + 20 * 60_000, 'bounce');
      seen.push((await store.getRecipient(RCPT))!.invalid);
      // Long after the bounce: the window has nothing to clear (the accepted message did bounce).
      expect(await recorder.settleAwaiting(at + 1.9 * HOUR, HOUR)).toBe(0);
    }
    expect(seen).toEqual([false, true, true, true, true, true, true, true, true, true]);
    expect(await flagTrail()).toEqual(['flag']);
  });

  it('smarthost mode: no bounce for the accepted message within the window clears the flag, and says so', async () => {
    const recorder = new OutcomeRecorder(store, { acceptance: 'accepted' });
    await accept(recorder, 'Q1', T0);
    await report('Q1', T0 + 60_000, 'bounce');
    await accept(recorder, 'Q2', T0 + HOUR);
    expect((await store.getRecipient(RCPT))).toMatchObject({ invalid: true, awaiting: { queueId: 'Q2', since: T0 + HOUR } });
    // A bounce for the earlier message does not count as this one's.
    await report('Q1', T0 + HOUR + 60_000, 'bounce');
    expect(await recorder.settleAwaiting(T0 + 2 * HOUR - 1, HOUR)).toBe(0);
    expect(await recorder.settleAwaiting(T0 + 2 * HOUR, HOUR)).toBe(1);
    expect((await store.getRecipient(RCPT))).toMatchObject({ invalid: false, clearedBy: 'bounce-window', clearedAt: T0 + 2 * HOUR, awaiting: null });
    expect((await store.eventsForRecipient(RCPT)).at(-1)).toMatchObject({ type: 'clear', by: 'bounce-window', queueId: 'Q2' });
  });

  it('a success DSN clears the flag; a "relayed" notice does not', async () => {
    const recorder = new OutcomeRecorder(store, { acceptance: 'accepted' });
    await accept(recorder, 'Q1', T0);
    await report('Q1', T0 + 60_000, 'bounce');
    await accept(recorder, 'Q2', T0 + HOUR);
    await report('Q2', T0 + HOUR + 1_000, 'relayed');
    expect((await store.getRecipient(RCPT))!.invalid).toBe(true);
    await report('Q2', T0 + HOUR + 2_000, 'delivered');
    expect((await store.getRecipient(RCPT))).toMatchObject({ invalid: false, clearedBy: 'success-dsn', awaiting: null });
  });

  it.each<[Acceptance, boolean]>([['final', false], ['accepted', true]])('a 250 counted as %s leaves the flag set: %s', async (acceptance, stays) => {
    const recorder = new OutcomeRecorder(store, { acceptance });
    await recorder.recordAttempt({
      queueId: 'Q1', messageId: null, rcpt: RCPT, attempt: 1, status: 'bounced', stage: 'rcpt', code: 550, enhanced: '5.1.1', response: '550 5.1.1 no such user',
      mx: 'mx', ip: null, tls: false, startedAt: T0, finishedAt: T0, reason: 'userunknown', category: 'Invalid Email', hard: true,
    });
    await accept(recorder, 'Q2', T0 + 1_000);
    expect((await store.getRecipient(RCPT))!.invalid).toBe(stays);
    if (!stays) expect((await store.getRecipient(RCPT))!.clearedBy).toBe('delivery');
  });
});
