// The matcher against a real store seeded through its API, and generated Postfix/Exim logs.
import { listMessages } from '../helpers/rebound.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LowdbStore } from '../../src/store/index.js';
import { OutcomeRecorder } from '../../src/recipients/index.js';
import { reconcile, parseSince, REBOUND_ID_PATTERN, type ReconcileOptions } from '../../src/reconcile/run.js';
import { upstreamQueueIds } from '../../src/reconcile/failure-index.js';
import { formatReconcileReport } from '../../src/reconcile/report.js';
import { silentLogger } from '../../src/util/logger.js';
import type { Attempt, MessageRecord } from '../../src/types.js';

const T0 = Date.UTC(2024, 2, 3, 10, 0, 0); // Mar 3 10:00:00 UTC
const REF = new Date('2024-03-04T00:00:00Z');
const OPTS: ReconcileOptions = { utcOffsetMinutes: 0, referenceDate: REF, clock: { now: () => T0 + 3_600_000 } };

let dir: string;
let store: LowdbStore;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'rebound-match-'));
  store = new LowdbStore({ dir, shards: 4, flushIntervalMs: 60_000, eventRetentionDays: 3650, logger: silentLogger(), clock: { now: () => T0 } });
  await store.open();
});

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

interface Outcome {
  rcpt: string;
  /** 250 (delivered), 550 (bounced, flags), 554 (bounced, policy), 450 (deferred). */
  code: 250 | 550 | 554 | 450;
  response?: string;
}

const REPLY: Record<Outcome['code'], string> = {
  250: '250 2.0.0 Ok: queued as 3C2B1A0F9',
  550: '550 5.1.1 <x>: Recipient address rejected: User unknown',
  554: '554 5.7.1 Message refused by policy',
  450: '450 4.2.1 Try again later',
};

/** Records a message and one attempt per recipient the way delivery does (events, recipient records, flags). */
async function seed(queueId: string, messageId: string | null, outcomes: Outcome[], at = T0, mx = 'smarthost.example.net'): Promise<MessageRecord> {
  const recorder = new OutcomeRecorder(store);
  const m: MessageRecord = {
    queueId, messageId, from: 'app@example.com', user: null, clientIp: '192.0.2.5', size: 900, receivedAt: at - 1_000,
    nextAttemptAt: null, status: 'done', rcpts: [],
  };
  for (const o of outcomes) {
    const response = o.response ?? REPLY[o.code];
    const status = o.code === 250 ? 'delivered' : o.code === 450 ? 'deferred' : 'bounced';
    const a: Attempt = {
      queueId, messageId, rcpt: o.rcpt, attempt: 1, status, stage: 'rcpt', code: o.code, enhanced: null, response, mx, ip: '192.0.2.1',
      tls: true, startedAt: at - 500, finishedAt: at,
      ...(status === 'delivered' ? {} : o.code === 550 ? { reason: 'userunknown', category: 'Invalid Email', hard: true } : { reason: 'rejected', category: 'Blocked', hard: false }),
    };
    await recorder.recordAttempt(a);
    m.rcpts.push({ rcpt: o.rcpt, status, attempts: 1, lastCode: o.code, lastEnhanced: null, lastResponse: response, lastMx: mx, updatedAt: at });
  }
  if (m.rcpts.some((r) => r.status === 'deferred')) m.status = 'queued';
  await store.putMessage(m);
  return m;
}

function pf(time: string, program: string, text: string): string {
  return `${time} mx9 postfix/${program}[321]: ${text}`;
}

async function log(name: string, lines: string[]): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, lines.join('\n') + '\n');
  return file;
}

/** Everything reconcile may change, to compare before and after. */
async function snapshot(...rcpts: string[]): Promise<string> {
  return JSON.stringify({
    messages: await listMessages(store),
    recipients: await Promise.all(rcpts.map(async (r) => (await store.getRecipient(r)) ?? null)),
    events: await Promise.all(rcpts.map(async (r) => (await store.eventsForRecipient(r)).map((e) => e.type))),
  });
}

describe('reconcile matcher', () => {
  it('handles a multi-recipient message: a contradicted failure, a confirmed one, and a delivered one left alone', async () => {
    await seed('Q1AAAAAAAAAAAAAA', 'multi@app.example', [{ rcpt: 'Ann@x.example', code: 550 }, { rcpt: 'bo@y.example', code: 554 }, { rcpt: 'cy@z.example', code: 250 }]);
    expect((await store.getRecipient('Ann@x.example'))!.invalid).toBe(true);
    const file = await log('multi.log', [
      pf('Mar  3 10:00:02', 'cleanup', 'A1B2C3D4E5: message-id=<multi@app.example>'),
      pf('Mar  3 10:00:02', 'qmgr', 'A1B2C3D4E5: from=<app@example.com>, size=900, nrcpt=3 (queue active)'),
      pf('Mar  3 10:00:03', 'smtp', 'A1B2C3D4E5: to=<ann@x.example>, relay=mx.x.example[192.0.2.11]:25, delay=1, delays=0/0/0.5/0.5, dsn=2.0.0, status=sent (250 2.0.0 Ok)'),
      pf('Mar  3 10:00:03', 'smtp', 'A1B2C3D4E5: to=<bo@y.example>, relay=mx.y.example[192.0.2.12]:25, delay=1, delays=0/0/0.5/0.5, dsn=5.7.1, status=bounced (host mx.y.example[192.0.2.12] said: 554 5.7.1 refused (in reply to end of DATA command))'),
      pf('Mar  3 10:00:03', 'smtp', 'A1B2C3D4E5: to=<cy@z.example>, relay=mx.z.example[192.0.2.13]:25, delay=1, delays=0/0/0.5/0.5, dsn=2.0.0, status=sent (250 ok)'),
      pf('Mar  3 10:00:04', 'qmgr', 'A1B2C3D4E5: removed'),
    ]);
    const r = await reconcile(store, [file], OPTS);
    expect(r).toMatchObject({ candidates: 2, matched: 2, changed: 2, mismatches: 1, confirmed: 1, unmatched: 0, byUpstream: { 'smarthost.example.net': 1 } });
    expect(r.matches.map((m) => [m.verdict, m.rcpt, m.flagCleared, m.evidence.line])).toEqual([
      ['mismatch', 'Ann@x.example', true, 3],
      ['confirmed', 'bo@y.example', false, 4],
    ]);
    expect((await store.getRecipient('Ann@x.example'))).toMatchObject({ invalid: false, lastStatus: 'delivered', reconciledCount: 1, deliveredCount: 1, failedCount: 0 });
    expect((await store.getRecipient('bo@y.example'))).toMatchObject({ lastStatus: 'bounced', reconciledCount: 0 });
    expect((await store.getMessage('Q1AAAAAAAAAAAAAA'))!.rcpts.map((x) => x.status)).toEqual(['delivered', 'bounced', 'delivered']);
    const confirmed = (await store.eventsForRecipient('bo@y.example')).find((e) => e.type === 'reconcile');
    expect(confirmed).toMatchObject({ verdict: 'confirmed', upstreamHost: 'smarthost.example.net', evidence: { file, line: 4, format: 'postfix' } });
    expect(formatReconcileReport(r)).toMatch(/mismatches \(failed here, delivered per the chain's final log\): 1/);
  });

  it('ties records by the upstream queue id, and does not confuse a reused id with another message', async () => {
    // cy was accepted in the same transaction: "queued as 3C2B1A0F9" names the message upstream.
    await seed('Q2AAAAAAAAAAAAAA', null, [{ rcpt: 'dee@x.example', code: 550 }, { rcpt: 'cy@z.example', code: 250 }]);
    await seed('Q3AAAAAAAAAAAAAA', 'third@app.example', [{ rcpt: 'eve@x.example', code: 550 }], T0 + 60_000);
    const file = await log('reuse.log', [
      // The upstream's life of 3C2B1A0F9 for our message: no message-id line in this excerpt.
      pf('Mar  3 10:00:05', 'smtp', '3C2B1A0F9: to=<dee@x.example>, relay=mx.x.example[192.0.2.11]:25, delay=1, delays=0/0/0.5/0.5, dsn=2.0.0, status=sent (250 ok)'),
      pf('Mar  3 10:00:05', 'qmgr', '3C2B1A0F9: removed'),
      // The id reused for another message later, to a recipient that also failed with us elsewhere.
      pf('Mar  3 11:00:00', 'cleanup', '3C2B1A0F9: message-id=<someone-else@example.org>'),
      pf('Mar  3 11:00:01', 'smtp', '3C2B1A0F9: to=<eve@x.example>, relay=mx.x.example[192.0.2.11]:25, delay=1, delays=0/0/0.5/0.5, dsn=2.0.0, status=sent (250 ok)'),
    ]);
    expect(upstreamQueueIds('250 2.0.0 Ok: queued as 3C2B1A0F9')).toEqual(['3C2B1A0F9']);
    const r = await reconcile(store, [file], OPTS);
    expect(r).toMatchObject({ candidates: 2, mismatches: 1, unmatched: 1 });
    expect(r.matches[0]).toMatchObject({ rcpt: 'dee@x.example', queueId: 'Q2AAAAAAAAAAAAAA' });
    expect(r.unmatchedFailures).toMatchObject([{ rcpt: 'eve@x.example', queueId: 'Q3AAAAAAAAAAAAAA' }]);
    expect((await store.getRecipient('eve@x.example'))!.invalid).toBe(true);
  });

  it('finds Rebound queue ids in VERP senders, skips unrelated traffic, counts malformed lines', async () => {
    await seed('0M5VQ3Z1K00AB7QX', 'verp@app.example', [{ rcpt: 'fay@x.example', code: 550 }]);
    const lines: string[] = [];
    for (let i = 0; i < 200; i++) {
      const q = (0xa0000 + i).toString(16).toUpperCase();
      lines.push(pf('Mar  3 10:00:01', 'qmgr', `${q}: from=<news@example.org>, size=10, nrcpt=1 (queue active)`));
      lines.push(pf('Mar  3 10:00:01', 'smtp', `${q}: to=<fay@x.example>, relay=mx.x.example[192.0.2.11]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)`));
      if (i % 50 === 0) lines.push('### not a syslog line', pf('Mar  3 10:00:01', 'smtp', `${q}: to=<broken@x.example>, relay=y, delay=1`));
      if (i === 100) {
        lines.push(pf('Mar  3 10:00:09', 'qmgr', 'BEEF12345: from=<b+0M5VQ3Z1K00AB7QX-0-0123456789abcdef@bounce.example.com>, size=900, nrcpt=1 (queue active)'));
        lines.push(pf('Mar  3 10:00:09', 'smtp', 'BEEF12345: to=<fay@x.example>, relay=mx.x.example[192.0.2.11]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)'));
      }
    }
    const file = await log('busy.log', lines);
    expect(REBOUND_ID_PATTERN.exec('b+0M5VQ3Z1K00AB7QX-0-0123456789abcdef@bounce.example.com')?.[1]).toBe('0M5VQ3Z1K00AB7QX');
    const r = await reconcile(store, [file], OPTS);
    expect(r).toMatchObject({ candidates: 1, matched: 1, mismatches: 1 });
    expect(r.matches[0]!.evidence.text).toContain('BEEF12345');
    expect(r.files).toEqual([expect.objectContaining({ file, format: 'postfix', lines: lines.length, malformed: 8 })]);
    expect(r.files[0]!.malformedSamples[0]).toEqual({ line: 3, text: '### not a syslog line' });
  });

  it('does not call a delivery logged before our failure a mismatch', async () => {
    await seed('Q4AAAAAAAAAAAAAA', 'early@app.example', [{ rcpt: 'gus@x.example', code: 550 }], T0 + 3_600_000);
    const file = await log('early.log', [
      pf('Mar  3 10:00:00', 'cleanup', 'C0FFEE123: message-id=<early@app.example>'),
      pf('Mar  3 10:00:01', 'smtp', 'C0FFEE123: to=<gus@x.example>, relay=mx.x.example[192.0.2.11]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)'),
    ]);
    const r = await reconcile(store, [file], OPTS);
    expect(r).toMatchObject({ matched: 0, earlier: 1, mismatches: 0, changed: 0 });
    expect((await store.getRecipient('gus@x.example'))!.invalid).toBe(true);
  });

  it('is idempotent: the same log twice changes nothing the second time', async () => {
    await seed('Q5AAAAAAAAAAAAAA', 'twice@app.example', [{ rcpt: 'hal@x.example', code: 550 }, { rcpt: 'ida@y.example', code: 554 }]);
    const file = await log('twice.log', [
      pf('Mar  3 10:00:02', 'cleanup', 'D00D12345: message-id=<twice@app.example>'),
      pf('Mar  3 10:00:03', 'smtp', 'D00D12345: to=<hal@x.example>, relay=mx.x.example[192.0.2.11]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)'),
      pf('Mar  3 10:00:03', 'smtp', 'D00D12345: to=<ida@y.example>, relay=mx.y.example[192.0.2.12]:25, delay=1, delays=0/0/0/1, dsn=5.7.1, status=bounced (554 5.7.1 refused)'),
      pf('Mar  3 10:00:04', 'smtp', 'D00D12345: to=<ida@y.example>, relay=mx.y.example[192.0.2.12]:25, delay=1, delays=0/0/0/1, dsn=5.7.1, status=bounced (554 5.7.1 refused)'),
    ]);
    const first = await reconcile(store, [file], OPTS);
    expect(first).toMatchObject({ changed: 2, mismatches: 1, confirmed: 1 });
    const before = await snapshot('hal@x.example', 'ida@y.example');
    const second = await reconcile(store, [file], OPTS);
    expect(second).toMatchObject({ changed: 0, mismatches: 0, confirmed: 0 });
    expect(await snapshot('hal@x.example', 'ida@y.example')).toBe(before);
  });

  it('dry run reports the verdicts and writes nothing', async () => {
    await seed('Q6AAAAAAAAAAAAAA', 'dry@app.example', [{ rcpt: 'jo@x.example', code: 550 }, { rcpt: 'kai@y.example', code: 554 }]);
    const file = await log('dry.log', [
      pf('Mar  3 10:00:02', 'cleanup', 'E0E0E0E0E: message-id=<dry@app.example>'),
      pf('Mar  3 10:00:03', 'smtp', 'E0E0E0E0E: to=<jo@x.example>, relay=mx.x.example[192.0.2.11]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)'),
      pf('Mar  3 10:00:03', 'smtp', 'E0E0E0E0E: to=<kai@y.example>, relay=mx.y.example[192.0.2.12]:25, delay=1, delays=0/0/0/1, dsn=5.7.1, status=bounced (554 5.7.1 refused)'),
    ]);
    const before = await snapshot('jo@x.example', 'kai@y.example');
    const r = await reconcile(store, [file], { ...OPTS, dryRun: true });
    expect(r).toMatchObject({ dryRun: true, changed: 2, mismatches: 1, confirmed: 1 });
    expect(r.matches[0]).toMatchObject({ verdict: 'mismatch', flagCleared: true });
    expect(await snapshot('jo@x.example', 'kai@y.example')).toBe(before);
    expect(formatReconcileReport(r)).toContain('Dry run: nothing was written.');
  });

  it('reads other formats (Exim) and reports unreadable files without losing the rest', async () => {
    await seed('Q7AAAAAAAAAAAAAA', 'exim@app.example', [{ rcpt: 'lu@x.example', code: 550 }]);
    const exim = await log('mainlog', [
      '2024-03-03 10:00:05 1rAbCd-000ABC-12 <= app@example.com H=relay [192.0.2.5] P=esmtp S=900 id=exim@app.example',
      '2024-03-03 10:00:06 1rAbCd-000ABC-12 => lu@x.example R=dnslookup T=remote_smtp H=mx.x.example [192.0.2.11] C="250 OK"',
    ]);
    const junk = await log('junk.txt', ['hello', 'world']);
    const r = await reconcile(store, [junk, exim, path.join(dir, 'missing.log')], OPTS);
    expect(r.mismatches).toBe(1);
    expect(r.files.map((f) => [path.basename(f.file), f.format, !!f.error])).toEqual([['junk.txt', null, true], ['mainlog', 'exim', false], ['missing.log', null, true]]);
  });

  it('parses --since as a date or an age', () => {
    expect(parseSince('2024-05-01T10:00:00Z').toISOString()).toBe('2024-05-01T10:00:00.000Z');
    expect(parseSince('2h', Date.UTC(2024, 0, 1, 12)).toISOString()).toBe('2024-01-01T10:00:00.000Z');
    expect(() => parseSince('yesterday-ish')).toThrow(/neither a date/);
  });
});
