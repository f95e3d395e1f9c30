// Delivery across hops: hand-offs, final deliveries, relayed and final bounces, joined by the ids
// in hand-off replies and by Message-ID, on log lines in the formats Postfix, Exim, Exchange and
// Rebound write. Every failure is seeded in a real store the way delivery and the return path do.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LowdbStore } from '../../src/store/index.js';
import { applyReport, OutcomeRecorder } from '../../src/recipients/index.js';
import { reconcile, type ReconcileOptions } from '../../src/reconcile/run.js';
import { EXCHANGE_DEFAULT_FIELDS } from '../../src/reconcile/index.js';
import { ChainHosts } from '../../src/reconcile/chain-hosts.js';
import { silentLogger } from '../../src/util/logger.js';
import type { Attempt, MessageRecord, ReportOutcome } from '../../src/types.js';

const T0 = Date.UTC(2024, 2, 3, 10, 0, 0); // Mar 3 10:00:00 UTC
const OPTS: ReconcileOptions = { utcOffsetMinutes: 0, referenceDate: new Date('2024-03-04T00:00:00Z'), clock: { now: () => T0 + 86_400_000 } };
const SMARTHOST = 'smarthost.example.net';

let dir: string;
let store: LowdbStore;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'rebound-chain-'));
  store = new LowdbStore({ dir, shards: 4, flushIntervalMs: 60_000, eventRetentionDays: 3650, logger: silentLogger(), clock: { now: () => T0 } });
  await store.open();
});

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

/** A message the smarthost accepted (250, "queued as"), as delivery records it in smarthost mode. */
async function accepted(queueId: string, messageId: string, rcpt: string, upstreamId = '4F1C2A3B5D', at = T0): Promise<MessageRecord> {
  const recorder = new OutcomeRecorder(store, { acceptance: 'accepted' });
  const response = `250 2.0.0 Ok: queued as ${upstreamId}`;
  const a: Attempt = {
    queueId, messageId, rcpt, attempt: 1, status: 'delivered', stage: 'data', code: 250, enhanced: '2.0.0', response, mx: SMARTHOST, ip: '127.0.0.1',
    tls: false, startedAt: at - 200, finishedAt: at,
  };
  await recorder.recordAttempt(a);
  const m: MessageRecord = {
    queueId, messageId, from: 'app@example.com', user: null, clientIp: '192.0.2.5', size: 900, receivedAt: at - 1_000, nextAttemptAt: null, status: 'done',
    rcpts: [{ rcpt, status: 'delivered', attempts: 1, lastCode: 250, lastEnhanced: '2.0.0', lastResponse: response, lastMx: SMARTHOST, updatedAt: at }],
  };
  await store.putMessage(m);
  return m;
}

/** A DSN that reached the return path for that message, applied as the report processor does. */
async function dsn(queueId: string, rcpt: string, at: number, mta: { remoteMta?: string; reportingMta?: string } = {}): Promise<void> {
  const o: ReportOutcome = {
    reportId: randomUUID(), kind: 'dsn', queueId, rcpt, verified: true, matchedBy: 'verp', status: '5.1.1', replycode: '550', reason: 'userunknown',
    category: 'Invalid Email', hard: true, diagnostic: '550 5.1.1 mailbox gone', decodedby: 'RFC3464', ...mta,
  };
  await store.appendEvents([{ type: 'report', id: randomUUID(), time: at, ...o }]);
  const { record, changes } = applyReport((await store.getRecipient(rcpt)), o, at);
  if (record) await store.putRecipient(record);
  for (const c of changes) await store.appendEvents([{ type: c, id: randomUUID(), time: at, rcpt, reason: o.reason, queueId, by: 'report' }]);
  const m = (await store.getMessage(queueId))!;
  Object.assign(m.rcpts.find((r) => r.rcpt === rcpt)!, { status: 'bounced', lastResponse: o.diagnostic, updatedAt: at });
  await store.putMessage(m);
}

const syslog = (ms: number): string => {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `Mar ${String(d.getUTCDate()).padStart(2, ' ')} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
};
const pf = (ms: number, host: string, program: string, text: string): string => `${syslog(ms)} ${host} postfix/${program}[321]: ${text}`;
const exim = (ms: number, text: string): string => `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} ${text}`;

async function log(name: string, lines: string[]): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, lines.join('\n') + '\n');
  return file;
}

/** The smarthost's log of one message: received from Rebound, handed to the next hop at `relay`. */
function smarthostLines(upstreamId: string, messageId: string, rcpt: string, at: number, outcome: string): string[] {
  return [
    pf(at, 'smarthost', 'smtpd', `${upstreamId}: client=localhost[127.0.0.1]`),
    pf(at, 'smarthost', 'cleanup', `${upstreamId}: message-id=<${messageId}>`),
    pf(at, 'smarthost', 'qmgr', `${upstreamId}: from=<app@example.com>, size=900, nrcpt=1 (queue active)`),
    pf(at + 1_000, 'smarthost', 'smtp', `${upstreamId}: to=<${rcpt}>, relay=127.0.0.1[127.0.0.1]:4028, delay=1, delays=0/0/0/1, ${outcome}`),
    pf(at + 1_000, 'smarthost', 'qmgr', `${upstreamId}: removed`),
  ];
}

describe('delivery across hops', () => {
  it('a hand-off is not a delivery: a bounce the next hop (Exim **) decided survives each log alone and both together', async () => {
    await accepted('Q1AAAAAAAAAAAAAA', 'gone@app.example', 'gone@x.example', '4F1C2A3B5D');
    await dsn('Q1AAAAAAAAAAAAAA', 'gone@x.example', T0 + 3_000, { reportingMta: 'exim.example.net' });
    expect((await store.getRecipient('gone@x.example'))!.invalid).toBe(true);
    const smart = await log('smarthost.log', smarthostLines('4F1C2A3B5D', 'gone@app.example', 'gone@x.example', T0, 'dsn=2.0.0, status=sent (250 OK id=1rAbCd-000ABC-12)'));
    const ex = await log('mainlog', [
      exim(T0 + 1_000, '1rAbCd-000ABC-12 <= app@example.com H=localhost [127.0.0.1] P=esmtp S=1200 id=gone@app.example'),
      exim(T0 + 2_000, '1rAbCd-000ABC-12 ** gone@x.example R=local_user T=local_delivery: 550 5.1.1 mailbox gone'),
      exim(T0 + 2_000, '1rAbCd-000ABC-12 Completed'),
    ]);
    const alone = await reconcile(store, [smart], OPTS);
    expect(alone).toMatchObject({ mismatches: 0, confirmed: 0, handedOffOnly: 1, changed: 0 });
    expect((await store.getRecipient('gone@x.example'))!.invalid).toBe(true);
    const both = await reconcile(store, [smart, ex], OPTS);
    expect(both).toMatchObject({ mismatches: 0, confirmed: 1 });
    expect(both.matches[0]).toMatchObject({ verdict: 'confirmed', basis: 'final', evidence: { file: ex, line: 2, format: 'exim' } });
    // A later run with only the hand-off (or the same logs) undoes nothing.
    for (const files of [[smart], [ex], [ex, smart]]) {
      const again = await reconcile(store, files, OPTS);
      expect(again).toMatchObject({ mismatches: 0, changed: 0 });
    }
    expect((await store.getRecipient('gone@x.example'))).toMatchObject({ invalid: true, reconciledCount: 0 });
    expect((await store.eventsForRecipient('gone@x.example')).filter((e) => e.type === 'clear')).toHaveLength(0);
  });

  it('follows the hand-off reply id into the next hop log when no Message-ID ties it, in either file order', async () => {
    for (const order of ['forward', 'reverse'] as const) {
      const q = order === 'forward' ? 'Q2AAAAAAAAAAAAAA' : 'Q3AAAAAAAAAAAAAA';
      const up = order === 'forward' ? '5A1B2C3D4E' : '6A1B2C3D4E';
      const next = order === 'forward' ? '7B00C1D2E3' : '8B00C1D2E3';
      const rcpt = `${order}@x.example`;
      await accepted(q, `${order}@app.example`, rcpt, up);
      await dsn(q, rcpt, T0 + 3_000, { reportingMta: 'liar.example.net' });
      const smart = await log(`smart-${order}.log`, smarthostLines(up, `${order}@app.example`, rcpt, T0, `dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as ${next})`));
      // The final hop's excerpt has no cleanup line: only the hand-off's "queued as" ties it.
      const final = await log(`final-${order}.log`, [
        pf(T0 + 1_500, 'mx2', 'qmgr', `${next}: from=<app@example.com>, size=1100, nrcpt=1 (queue active)`),
        pf(T0 + 1_600, 'mx2', 'virtual', `${next}: to=<${rcpt}>, relay=virtual, delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent (delivered to maildir)`),
      ]);
      const r = await reconcile(store, order === 'forward' ? [smart, final] : [final, smart], OPTS);
      expect(r).toMatchObject({ mismatches: 1, confirmed: 0 });
      expect(r.matches[0]).toMatchObject({ rcpt, verdict: 'mismatch', flagCleared: true, upstreamHost: 'liar.example.net', evidence: { file: final, line: 2 } });
      expect((await store.getRecipient(rcpt))).toMatchObject({ invalid: false, clearedBy: 'reconcile' });
    }
  });

  it('the lying hop: it stored the message and answered 550; its own mailbox delivery outranks the refusal the smarthost logged', async () => {
    await accepted('Q4AAAAAAAAAAAAAA', 'lie@app.example', 'kept@x.example', '9C1D2E3F4A');
    // The smarthost's DSN reaches us ten minutes after the logged delivery: time does not decide.
    await dsn('Q4AAAAAAAAAAAAAA', 'kept@x.example', T0 + 10 * 60_000, { reportingMta: 'smarthost.example.net', remoteMta: '127.0.0.1' });
    const smart = await log('smart.log', smarthostLines('9C1D2E3F4A', 'lie@app.example', 'kept@x.example', T0,
      'dsn=5.1.1, status=bounced (host 127.0.0.1[127.0.0.1] said: 550 5.1.1 <kept@x.example>: user unknown (in reply to end of DATA command))'));
    const liar = await log('liar.log', [
      pf(T0 + 900, 'liar', 'cleanup', 'AB12CD34EF: message-id=<lie@app.example>'),
      pf(T0 + 950, 'liar', 'virtual', 'AB12CD34EF: to=<kept@x.example>, relay=virtual, delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent (delivered to maildir)'),
    ]);
    // The smarthost's log alone: the refusal it logged is a claim about its next hop, confirmed for now.
    const first = await reconcile(store, [smart], OPTS);
    expect(first).toMatchObject({ confirmed: 1, mismatches: 0 });
    expect(first.matches[0]).toMatchObject({ basis: 'relayed' });
    expect((await store.getRecipient('kept@x.example'))!.invalid).toBe(true);
    // With the next hop's own log, the end of the chain decides.
    const r = await reconcile(store, [smart, liar], OPTS);
    expect(r).toMatchObject({ mismatches: 1, byUpstream: { '127.0.0.1[127.0.0.1]:4028': 1 } });
    expect(r.matches[0]).toMatchObject({ verdict: 'mismatch', flagCleared: true, evidence: { file: liar, line: 2 } });
    expect((await store.getRecipient('kept@x.example'))).toMatchObject({ invalid: false, clearedBy: 'reconcile' });
    expect((await store.eventsForRecipient('kept@x.example')).find((e) => e.type === 'reconcile' && e.verdict === 'mismatch')).toMatchObject({ upstreamHost: '127.0.0.1[127.0.0.1]:4028' });
  });

  it('a relayed confirmation is made final by the next hop bounce, and then no later log undoes it', async () => {
    await accepted('QBAAAAAAAAAAAAAA', 'rel@app.example', 'rel@x.example', '4C4C4C4C4C');
    await dsn('QBAAAAAAAAAAAAAA', 'rel@x.example', T0 + 60_000);
    const smart = await log('rel-smart.log', smarthostLines('4C4C4C4C4C', 'rel@app.example', 'rel@x.example', T0,
      'dsn=5.1.1, status=bounced (host 127.0.0.1[127.0.0.1] said: 550 5.1.1 no such user (in reply to RCPT TO command))'));
    expect((await reconcile(store, [smart], OPTS)).matches.map((m) => m.basis)).toEqual(['relayed']);
    const hop = await log('rel-hop.log', [
      pf(T0 + 900, 'mx2', 'cleanup', 'E1E1E1E1E1: message-id=<rel@app.example>'),
      pf(T0 + 950, 'mx2', 'local', 'E1E1E1E1E1: to=<rel@x.example>, relay=local, delay=0, delays=0/0/0/0, dsn=5.1.1, status=bounced (unknown user: "rel")'),
    ]);
    expect((await reconcile(store, [hop], OPTS)).matches.map((m) => [m.verdict, m.basis])).toEqual([['confirmed', 'final']]);
    // A (wrong) delivery line turning up later cannot undo a bounce a hop decided itself.
    const stray = await log('rel-stray.log', [
      pf(T0 + 2_000, 'mx3', 'cleanup', 'F1F1F1F1F1: message-id=<rel@app.example>'),
      pf(T0 + 2_100, 'mx3', 'virtual', 'F1F1F1F1F1: to=<rel@x.example>, relay=virtual, delay=0, delays=0/0/0/0, dsn=2.0.0, status=sent (delivered to maildir)'),
    ]);
    expect(await reconcile(store, [stray, smart, hop], OPTS)).toMatchObject({ changed: 0, mismatches: 0 });
    expect((await store.getRecipient('rel@x.example'))!.invalid).toBe(true);
  });

  it('smarthost mode: the accepted message a flag waits for, found in a mailbox at the end of the chain, clears the flag', async () => {
    await accepted('QCAAAAAAAAAAAAAA', 'first@app.example', 'back@x.example', '5D5D5D5D5D', T0);
    await dsn('QCAAAAAAAAAAAAAA', 'back@x.example', T0 + 60_000);
    // The bounce was true then (the final hop logged it); the mailbox came back since.
    await accepted('QDAAAAAAAAAAAAAA', 'second@app.example', 'back@x.example', '6E6E6E6E6E', T0 + 3_600_000);
    expect((await store.getRecipient('back@x.example'))).toMatchObject({ invalid: true, awaiting: { queueId: 'QDAAAAAAAAAAAAAA' } });
    const smart = await log('back-smart.log', smarthostLines('6E6E6E6E6E', 'second@app.example', 'back@x.example', T0 + 3_600_000, 'dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 7F7F7F7F7F)'));
    expect(await reconcile(store, [smart], OPTS)).toMatchObject({ acceptedDelivered: 0, changed: 0 });
    const final = await log('back-final.log', [
      pf(T0 + 3_602_000, 'mx2', 'virtual', '7F7F7F7F7F: to=<back@x.example>, relay=virtual, delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent (delivered to maildir)'),
    ]);
    const r = await reconcile(store, [final, smart], OPTS);
    expect(r).toMatchObject({ acceptedDelivered: 1, mismatches: 0, candidates: 1 });
    expect((await store.getRecipient('back@x.example'))).toMatchObject({ invalid: false, clearedBy: 'reconcile', awaiting: null });
    expect(await reconcile(store, [final, smart], OPTS)).toMatchObject({ changed: 0 });
  });

  it('a delivery to a host outside the chain is final; one to a relay named in reconcile.relays is a hand-off', async () => {
    await accepted('Q5AAAAAAAAAAAAAA', 'out@app.example', 'out@x.example', '1D2E3F4A5B');
    await dsn('Q5AAAAAAAAAAAAAA', 'out@x.example', T0 + 60_000, { reportingMta: 'smarthost.example.net' });
    const lines = [
      pf(T0, 'smarthost', 'cleanup', '1D2E3F4A5B: message-id=<out@app.example>'),
      pf(T0 + 1_000, 'smarthost', 'smtp', '1D2E3F4A5B: to=<out@x.example>, relay=mx.x.example[203.0.113.25]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 2.0.0 OK 1709460001 gsmtp)'),
    ];
    const file = await log('out.log', lines);
    const dry = await reconcile(store, [file], { ...OPTS, dryRun: true, relays: ['mx.x.example'] });
    expect(dry).toMatchObject({ mismatches: 0, handedOffOnly: 1 });
    const r = await reconcile(store, [file], OPTS);
    expect(r).toMatchObject({ mismatches: 1, byUpstream: { 'smarthost.example.net': 1 } });
  });

  it("Rebound's own log only records hand-offs: it confirms our bounces and never clears a flag a DSN set", async () => {
    await accepted('Q6AAAAAAAAAAAAAA', 'own@app.example', 'own@x.example');
    await dsn('Q6AAAAAAAAAAAAAA', 'own@x.example', T0 + 60_000);
    const rec = (status: string, rcpt: string, queueId: string) =>
      JSON.stringify({ level: 30, time: T0, msg: 'delivery', queueId, messageId: `${rcpt.split('@')[0]}@app.example`, rcpt, status, code: status === 'delivered' ? 250 : 550, mx: SMARTHOST });
    const recorder = new OutcomeRecorder(store, { acceptance: 'accepted' });
    await recorder.recordAttempt({
      queueId: 'Q7AAAAAAAAAAAAAA', messageId: 'bad@app.example', rcpt: 'bad@x.example', attempt: 1, status: 'bounced', stage: 'rcpt', code: 550, enhanced: '5.1.1',
      response: '550 5.1.1 no such user', mx: SMARTHOST, ip: null, tls: false, startedAt: T0, finishedAt: T0, reason: 'userunknown', category: 'Invalid Email', hard: true,
    });
    await store.putMessage({
      queueId: 'Q7AAAAAAAAAAAAAA', messageId: 'bad@app.example', from: 'app@example.com', user: null, clientIp: '192.0.2.5', size: 1, receivedAt: T0 - 1_000, nextAttemptAt: null, status: 'done',
      rcpts: [{ rcpt: 'bad@x.example', status: 'bounced', attempts: 1, lastCode: 550, lastEnhanced: '5.1.1', lastResponse: '550 5.1.1 no such user', lastMx: SMARTHOST, updatedAt: T0 }],
    });
    const file = await log('rebound.jsonl', [rec('delivered', 'own@x.example', 'Q6AAAAAAAAAAAAAA'), rec('bounced', 'bad@x.example', 'Q7AAAAAAAAAAAAAA')]);
    const r = await reconcile(store, [file], OPTS);
    expect(r).toMatchObject({ mismatches: 0, confirmed: 1, handedOffOnly: 1 });
    expect(r.matches[0]).toMatchObject({ rcpt: 'bad@x.example', basis: 'own-log' });
    expect((await store.getRecipient('own@x.example'))!.invalid).toBe(true);
  });

  it('Exchange: DELIVER by STOREDRIVER is final, SEND to an internal server a hand-off', async () => {
    await accepted('Q8AAAAAAAAAAAAAA', 'ex@app.example', 'ex@corp.example');
    await dsn('Q8AAAAAAAAAAAAAA', 'ex@corp.example', T0 + 60_000, { reportingMta: 'edge.corp.example' });
    const cols = EXCHANGE_DEFAULT_FIELDS.split(',');
    const row = (event: string, source: string, host: string, ip: string): string => {
      const v = cols.map(() => '');
      const set = (n: string, x: string) => (v[cols.indexOf(n)] = x);
      set('date-time', new Date(T0 + 2_000).toISOString());
      set('event-id', event);
      set('source', source);
      set('message-id', '<ex@app.example>');
      set('internal-message-id', '5511');
      set('recipient-address', 'ex@corp.example');
      set('recipient-status', '250 2.1.5 Recipient OK');
      set('sender-address', 'app@example.com');
      set('server-hostname', host);
      set('server-ip', ip);
      return v.join(',');
    };
    const header = ['#Software: Microsoft Exchange Server', `#Fields: ${cols.join(',')}`];
    const send = await log('send.log', [...header, row('SEND', 'SMTP', 'mbx01', '10.0.0.12')]);
    expect(await reconcile(store, [send], OPTS)).toMatchObject({ mismatches: 0, handedOffOnly: 1 });
    const deliver = await log('deliver.log', [...header, row('DELIVER', 'STOREDRIVER', 'mbx01', '10.0.0.12')]);
    expect(await reconcile(store, [deliver], OPTS)).toMatchObject({ mismatches: 1, byUpstream: { 'edge.corp.example': 1 } });
  });

  it('tells copies of a resent message apart by time: a delivery of the first copy says nothing about the second', async () => {
    await accepted('Q9AAAAAAAAAAAAAA', 'again@app.example', 'again@x.example', '2A2A2A2A2A', T0);
    await dsn('Q9AAAAAAAAAAAAAA', 'again@x.example', T0 + 60_000);
    const later = T0 + 3_600_000;
    await accepted('QAAAAAAAAAAAAAAA', 'again@app.example', 'again@x.example', '3B3B3B3B3B', later);
    await dsn('QAAAAAAAAAAAAAAA', 'again@x.example', later + 60_000);
    const file = await log('copies.log', [
      pf(T0 + 500, 'mx2', 'cleanup', 'C0C0C0C0C0: message-id=<again@app.example>'),
      pf(T0 + 600, 'mx2', 'virtual', 'C0C0C0C0C0: to=<again@x.example>, relay=virtual, delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent (delivered to maildir)'),
      pf(later + 500, 'mx2', 'cleanup', 'D0D0D0D0D0: message-id=<again@app.example>'),
      pf(later + 600, 'mx2', 'virtual', 'D0D0D0D0D0: to=<again@x.example>, relay=virtual, delay=0, delays=0/0/0/0, dsn=5.1.1, status=bounced (unknown user: "again")'),
    ]);
    const r = await reconcile(store, [file], OPTS);
    expect(r).toMatchObject({ mismatches: 1, confirmed: 1 });
    expect(r.matches.map((m) => [m.queueId, m.verdict])).toEqual(expect.arrayContaining([['Q9AAAAAAAAAAAAAA', 'mismatch'], ['QAAAAAAAAAAAAAAA', 'confirmed']]));
    // The flag the second copy's bounce set stands: the first copy's delivery is older news.
    expect((await store.getRecipient('again@x.example'))!.invalid).toBe(true);
  });
});

describe('chain hosts', () => {
  it('counts loopback, private and listed relays (and hosts whose logs are read) as the chain, nothing else', () => {
    const c = new ChainHosts(['relay.corp.example', '198.51.100.9']);
    c.add('smarthost');
    expect(['127.0.0.1[127.0.0.1]:4028', 'localhost', '10.1.2.3', '[::1]:25', 'x[192.168.1.5]', 'relay.corp.example[203.0.113.1]:25', 'h[198.51.100.9]', 'smarthost[203.0.113.8]:25', 'Relay.Corp.Example. [203.0.113.1]']
      .map((r) => c.has(r))).toEqual([true, true, true, true, true, true, true, true, true]);
    expect(['mx.x.example[203.0.113.25]:25', 'gmail-smtp-in.l.google.com[142.250.1.27]:25', 'local', 'virtual', 'smarthost.example.org[203.0.113.9]'].map((r) => c.has(r)))
      .toEqual([false, false, false, false, false]);
  });
});
