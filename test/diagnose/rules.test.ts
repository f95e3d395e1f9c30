// Each diagnose rule against a store seeded through its API (no server).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LowdbStore } from '../../src/store/index.js';
import { OutcomeRecorder } from '../../src/recipients/index.js';
import { diagnose, formatFindings } from '../../src/diagnose/index.js';
import type { Attempt, MessageRecord, ReportOutcome } from '../../src/types.js';
import { silentLogger } from '../../src/util/logger.js';

const NOW = Date.UTC(2024, 4, 1, 12, 0, 0);
const HOUR = 3_600_000;
let dir: string;
let store: LowdbStore;
let n = 0;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'rebound-diagnose-'));
  store = new LowdbStore({ dir, shards: 2, flushIntervalMs: 60_000, eventRetentionDays: 3650, logger: silentLogger(), clock: { now: () => NOW } });
  await store.open();
});

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

async function attempt(rcpt: string, code: number, response: string, at = NOW - 60_000, mx = 'mx.example.net'): Promise<Attempt> {
  const queueId = `Q${String(++n).padStart(15, '0')}`;
  const ok = code < 300;
  const a: Attempt = {
    queueId, messageId: `${queueId}@app`, rcpt, attempt: 1, status: ok ? 'delivered' : code >= 500 ? 'bounced' : 'deferred', stage: 'rcpt', code,
    enhanced: null, response, mx, ip: null, tls: true, startedAt: at, finishedAt: at,
    ...(ok ? {} : code === 550 ? { reason: 'userunknown', category: 'Invalid Email', hard: true } : { reason: 'blocked', category: 'Blocked', hard: false }),
  };
  await new OutcomeRecorder(store).recordAttempt(a);
  return a;
}

describe('diagnose rules', () => {
  it('reports nothing for a healthy window', async () => {
    for (let i = 0; i < 20; i++) await attempt(`u${i}@d${i}.example`, 250, '250 ok');
    expect(await diagnose(store, { now: NOW, windowMs: HOUR })).toEqual([]);
    expect(formatFindings([])).toBe('No problems found in this window.');
  });

  it('a single flagged recipient with no wider pattern is temporary or address-specific', async () => {
    for (let i = 0; i < 20; i++) await attempt(`u${i}@d${i}.example`, 250, '250 ok');
    await attempt('gone@d3.example', 550, '550 5.1.1 <gone@d3.example>: user unknown');
    const f = await diagnose(store, { now: NOW, windowMs: HOUR });
    expect(f.map((x) => [x.rule, x.severity])).toEqual([['address-specific', 'info']]);
    expect(f[0]!.title).toBe('gone@d3.example: temporary or address-specific failure');
    expect(f[0]!.summary).toContain('clears by itself on the next successful delivery');
  });

  it('one domain rejecting most mail is blocked, with the rejection text', async () => {
    for (let i = 0; i < 20; i++) await attempt(`u${i}@fine${i % 4}.example`, 250, '250 ok');
    for (let i = 0; i < 6; i++) await attempt(`v${i}@strict.example`, 554, `554 5.7.1 Service unavailable; client host [192.0.2.5] blocked using zen.example.org (id ${1000 + i}abcdef)`, NOW - 60_000, 'mx.strict.example');
    const f = await diagnose(store, { now: NOW, windowMs: HOUR });
    expect(f.map((x) => x.rule)).toEqual(['domain-blocked']);
    expect(f[0]!.title).toBe('strict.example is rejecting most mail (blocked)');
    expect(f[0]!.summary).toContain('blocked using zen.example.org');
  });

  it('one dominant reply from one host across many domains is a configuration problem (relay denied)', async () => {
    for (let i = 0; i < 12; i++) await attempt(`u${i}@d${i}.example`, 554, `554 5.7.1 <u${i}@d${i}.example>: Relay access denied`, NOW - 60_000, 'smarthost.example.net');
    const f = await diagnose(store, { now: NOW, windowMs: HOUR });
    expect(f[0]!.title).toBe('SMTP configuration problem: relay denied by smarthost.example.net');
    expect(f[0]!.nextStep).toContain('mynetworks');
    expect(f.map((x) => x.rule)).not.toContain('domain-blocked');
  });

  it('names TLS and connection trouble from integration events', async () => {
    const integration = async (cause: 'tls' | 'connection', response: string, mx: string) =>
      await store.appendEvents([{ type: 'integration', id: randomUUID(), time: NOW - 1_000, queueId: `Q${++n}`, cause, mx, code: null, response, rcpts: [`r${n}@x${n}.example`] }]);
    // Two connection refusals are not yet a pattern; one TLS failure already is.
    integration('connection', 'connect ECONNREFUSED 192.0.2.25:25', 'mx.example.net');
    integration('connection', 'connect ECONNREFUSED 192.0.2.25:25', 'mx.example.net');
    integration('tls', 'certificate has expired', 'smarthost.example.net');
    expect((await diagnose(store, { now: NOW, windowMs: HOUR })).map((f) => f.title)).toEqual(['SMTP configuration problem: TLS failed by smarthost.example.net']);
    integration('connection', 'connect ECONNREFUSED 192.0.2.25:25', 'mx.example.net');
    const f = await diagnose(store, { now: NOW, windowMs: HOUR });
    expect(f.map((x) => x.title)).toEqual(['SMTP configuration problem: cannot connect to mx.example.net']);
    expect(f[0]!.nextStep).toContain('delivery.smarthost.host and port');
  });

  it('complaint rate from feedback reports against deliveries', async () => {
    for (let i = 0; i < 100; i++) await attempt(`u${i}@d${i % 9}.example`, 250, '250 ok');
    const report = (rcpt: string): ReportOutcome => ({
      reportId: randomUUID(), kind: 'arf', queueId: null, rcpt, verified: true, matchedBy: 'verp', status: '', replycode: '', reason: 'feedback',
      category: 'Spam', hard: false, diagnostic: 'abuse report', decodedby: 'arf', feedbacktype: 'abuse',
    });
    await store.appendEvents([{ type: 'report', id: randomUUID(), time: NOW - 1_000, ...report('u1@d1.example') }]);
    const f = await diagnose(store, { now: NOW, windowMs: HOUR });
    expect(f.map((x) => [x.rule, x.severity])).toEqual([['complaint-rate', 'critical']]);
    expect(f[0]!.title).toBe('Complaint rate 1% (1 complaint(s) / 100 delivered)');
  });

  it('a growing deferral backlog', async () => {
    for (let i = 0; i < 60; i++) {
      const at = NOW - HOUR + i * 60_000;
      const m: MessageRecord = {
        queueId: `B${String(i).padStart(15, '0')}`, messageId: null, from: 'a@example.com', user: null, clientIp: '', size: 1, receivedAt: at,
        nextAttemptAt: NOW + 60_000, status: 'queued',
        rcpts: [{ rcpt: `r${i}@slow.example`, status: 'deferred', attempts: 2, lastCode: 421, lastEnhanced: '4.7.0', lastResponse: '421 4.7.0 Try again later, closing connection', lastMx: 'mx.slow.example', updatedAt: at }],
      };
      await store.putMessage(m);
    }
    const f = await diagnose(store, { now: NOW, windowMs: HOUR });
    expect(f.map((x) => x.rule)).toEqual(['deferral-backlog']);
    expect(f[0]!.title).toMatch(/^Deferral backlog growing: 1 -> 60 queued messages/);
    expect(f[0]!.evidence[0]).toMatchObject({ text: 'deferred with: 421 4.7.0 Try again later, closing connection', count: 60 });
  });

  it('persistent flags: a flag that survived several attempts', async () => {
    for (let i = 0; i < 20; i++) await attempt(`u${i}@d${i}.example`, 250, '250 ok');
    for (let i = 0; i < 4; i++) await attempt('stuck@d1.example', 550, '550 5.1.1 user unknown', NOW - 50 * HOUR + i * HOUR);
    expect((await store.getRecipient('stuck@d1.example'))!.attemptsSinceFlag).toBe(3);
    const f = await diagnose(store, { now: NOW, windowMs: HOUR });
    expect(f.map((x) => x.rule)).toEqual(['persistent-flags']);
    expect(f[0]!.evidence[0]).toMatchObject({ rcpt: 'stuck@d1.example', count: 3 });
  });

  it('response mismatch names the host with counts and examples', async () => {
    const a = await attempt('m@d1.example', 550, '550 5.1.1 no such user', NOW - 60_000, 'gw.example.net');
    await store.appendEvents([{
      type: 'reconcile', id: randomUUID(), time: NOW - 1_000, queueId: a.queueId, messageId: a.messageId, rcpt: a.rcpt, verdict: 'mismatch',
      upstreamHost: 'gw.example.net', evidence: { file: '/var/log/mail.log', line: 42, text: 'status=sent', format: 'postfix' },
    }]);
    const f = (await diagnose(store, { now: NOW, windowMs: HOUR })).find((x) => x.rule === 'response-mismatch')!;
    expect(f.title).toBe('Server response mismatch: gw.example.net reported 1 failure(s) for mail that was delivered');
    expect(f.summary).toContain('1 failure(s) from gw.example.net recorded in the window');
    expect(f.evidence[0]!.text).toContain('/var/log/mail.log:42');
  });
});
