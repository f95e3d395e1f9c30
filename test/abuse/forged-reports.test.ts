// Forged reports: bounces (DSN) and complaints (ARF) with bad or missing return-path tokens must
// never flag, bounce or suppress a recipient. Run with VERP on (signed return paths) and off
// (trace header / Message-ID correlation). A genuine report is sent last as a positive control,
// so a test that "changes nothing" is known to be able to see a change.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Upstream } from '../helpers/upstream.js';
import { allEvents, cleanup, startRebound, tempDir, testConfig } from '../helpers/rebound.js';
import { makeReturnPath } from '../../src/delivery/index.js';
import { arf, dsn } from '../../src/sandbox/reports.js';
import type { Rebound } from '../../src/main.js';
import type { RecipientEvent } from '../../src/types.js';
import { RawClient, cleanTransaction, sleep } from './raw-smtp.js';

const SECRET = 'forged-test-secret-0123456789abcdef';

async function sendReport(port: number, from: string, to: string, body: string): Promise<number> {
  const { client } = await RawClient.connect(port);
  try {
    for (const c of ['EHLO mx.evil.example\r\n', `MAIL FROM:<${from}>\r\n`, `RCPT TO:<${to}>\r\n`]) {
      const r = await client.say(c);
      if (!r || r.code >= 400) return r?.code ?? 0;
    }
    await client.say('DATA\r\n');
    const r = await client.say(`${body.replace(/^\./gm, '..')}\r\n.\r\n`);
    return r?.code ?? 0;
  } finally {
    client.destroy();
  }
}

interface Sent {
  queueId: string;
  messageId: string;
  rcpts: string[];
}

async function sendAndWait(app: Rebound, rcpts: string[]): Promise<Sent> {
  const t = await cleanTransaction(app.ports.submission, 'news@shop.example', rcpts[0]!, `Subject: offer\r\nMessage-ID: <${Date.now()}.${Math.random().toString(36).slice(2)}@shop.example>\r\n\r\nhello\r\n`);
  if (rcpts.length > 1) throw new Error('one recipient per message here');
  const queueId = /queued as (\w+)/.exec(t.at(-2)!.text)![1]!;
  for (let end = Date.now() + 10_000; Date.now() < end; await sleep(25)) {
    const m = (await app.store.getMessage(queueId));
    if (m && m.rcpts.every((r) => r.status === 'delivered')) return { queueId, messageId: m.messageId!, rcpts };
  }
  throw new Error(`message ${queueId} was not delivered`);
}

/** The headers of the original as a remote MTA would quote them in a report. */
function quoted(s: Sent, returnPath: string, traceHeader = true, messageId = true): string {
  return [
    `Return-Path: <${returnPath}>`,
    ...(traceHeader ? [`X-Rebound-Queue-Id: ${s.queueId}`] : []),
    ...(messageId ? [`Message-ID: <${s.messageId}>`] : []),
    'From: news@shop.example', `To: ${s.rcpts[0]}`, 'Subject: offer', '',
  ].join('\r\n');
}

const bounce = (s: Sent, rp: string, rcpt: string, headers: string) => dsn({ envelopeFrom: rp, rcpt, headers, messageId: s.messageId, subject: 'offer' }, 'mx.evil.example');
const complaint = (s: Sent, rp: string, rcpt: string, headers: string) => arf({ envelopeFrom: rp, rcpt, headers, messageId: s.messageId, subject: 'offer' }, 'fbl.evil.example', '127.0.0.1');

async function snapshot(app: Rebound, rcpts: string[]): Promise<string> {
  return JSON.stringify(await Promise.all(rcpts.map(async (r) => {
    const rec = await app.store.getRecipient(r);
    return { invalid: rec?.invalid, suppressed: rec?.suppressed, lastStatus: rec?.lastStatus, failed: rec?.failedCount };
  })));
}

const changes = async (app: Rebound, rcpts: string[]) => (await allEvents(app.store)).filter((e) => (e.type === 'flag' || e.type === 'suppress') && rcpts.includes(e.rcpt));
const unverified = async (app: Rebound) => (await allEvents(app.store)).filter((e): e is Extract<RecipientEvent, { type: 'report' }> => e.type === 'report' && !e.verified);

interface Forgery {
  name: string;
  /** Envelope recipient at the return path, and the report body. */
  make(s: Sent, other: Sent): { to: string; body: string };
}

describe.each([
  { verp: true, domain: 'bounces.forged.test' },
  { verp: false, domain: 'bounces.plain.test' },
])('forged reports with VERP $verp', ({ verp, domain }) => {
  let up: Upstream;
  let app: Rebound;
  let dir: string;
  let victim: Sent;
  let other: Sent;

  beforeAll(async () => {
    up = await new Upstream().start();
    dir = tempDir('rebound-forged-');
    app = await startRebound(testConfig(dir, up.port, {
      returnPath: verp ? { domain, secret: SECRET, port: 0 } : { acceptDomains: [domain], port: 0 },
    }));
    victim = await sendAndWait(app, ['victim@example.org']);
    other = await sendAndWait(app, ['other@example.org']);
  }, 30_000);
  afterAll(async () => {
    await app?.stop(2_000);
    await up?.stop();
    if (dir) cleanup(dir);
  });

  const tok = (s: Sent, i = 0, rcpt = s.rcpts[0]!) => makeReturnPath(SECRET, domain, s.queueId, i, rcpt);
  const badSig = (s: Sent) => tok(s).replace(/-[0-9a-f]{16}@/, '-0123456789abcdef@');
  const generic = `bounces@${domain}`;

  // The same set of forgeries for a bounce and for a complaint. Each names the victim in the report;
  // the envelope and the quoted original carry whatever a forger could know or guess.
  const forgeries: Forgery[] = [
    { name: 'token with a bad signature (envelope and quoted Return-Path)', make: (s) => ({ to: badSig(s), body: quoted(s, badSig(s), false, false) }) },
    { name: 'token for a queue id we never issued', make: (s) => ({ to: tok({ ...s, queueId: 'ZZZZZZZZZZZZZZZZ' }), body: quoted({ ...s, queueId: 'ZZZZZZZZZZZZZZZZ' }, generic, true, false) }) },
    { name: 'no token, the trace header of an unknown message', make: (s) => ({ to: generic, body: quoted({ ...s, queueId: 'YYYYYYYYYYYYYYYY', messageId: 'nobody@nowhere' }, generic) }) },
    { name: 'no token, trace header and Message-ID of another message (not the victim\'s)', make: (_s, o) => ({ to: generic, body: quoted(o, generic) }) },
    ...(verp
      ? [
          { name: 'token with a bad signature plus the genuine trace header and Message-ID', make: (s: Sent) => ({ to: badSig(s), body: quoted(s, badSig(s)) }) },
          { name: 'no token, only the genuine trace header and Message-ID', make: (s: Sent) => ({ to: generic, body: quoted(s, 'news@shop.example') }) },
          // The token is valid, for other@: only other@ (the holder of that token) can be affected.
          { name: 'valid token of another recipient, report naming the victim', make: (s: Sent, o: Sent) => ({ to: tok(o), body: quoted(s, tok(o), false, false) }) },
        ]
      : [{ name: 'fabricated token, no trace header or Message-ID', make: (s: Sent) => ({ to: `b+${s.queueId}-0-0123456789abcdef@${domain}`, body: quoted(s, `b+${s.queueId}-0-0123456789abcdef@${domain}`, false, false) }) }]),
  ];
  // With VERP off a report carrying the genuine trace header or Message-ID of the victim's message IS
  // the documented way to tie it (nothing secret exists to check), so those are not forgeries there.
  const protectedRcpts = verp ? ['victim@example.org'] : ['victim@example.org', 'other@example.org'];

  for (const kind of ['bounce', 'complaint'] as const) {
    it(`a forged ${kind} never flips a recipient (${forgeries.length} forgeries)`, async () => {
      const rcpts = protectedRcpts;
      const before = await snapshot(app, rcpts);
      const changesBefore = (await changes(app, rcpts)).length;
      const unverifiedBefore = (await unverified(app)).length;
      for (const f of forgeries) {
        const { to, body: headers } = f.make(victim, other);
        // The report names the victim; the quoted original carries whatever the forger could guess.
        const body = kind === 'bounce' ? bounce(victim, to, 'victim@example.org', headers) : complaint(victim, to, 'victim@example.org', headers);
        const code = await sendReport(app.ports.returnPath!, kind === 'bounce' ? '' : 'fbl@evil.example', to, body);
        expect(code, f.name).toBe(250);
      }
      await sleep(200);
      const why = (await unverified(app)).slice(unverifiedBefore).map((e) => e.unmatchedWhy);
      console.log(`[abuse] VERP ${verp ? 'on' : 'off'}: ${forgeries.length} forged ${kind}s -> unmatched: ${JSON.stringify([...new Set(why)])}`);
      expect(await snapshot(app, rcpts), `a forged ${kind} changed a recipient`).toBe(before);
      expect((await changes(app, rcpts)).length).toBe(changesBefore);
      expect((await app.store.getMessage(victim.queueId))!.rcpts[0]!.status).toBe('delivered');
      // All but the valid-token one (which ties to that token's own recipient) stay unmatched.
      expect(why.length).toBeGreaterThanOrEqual(forgeries.length - (verp ? 1 : 0));
    });
  }

  it('positive control: a genuine bounce and a genuine complaint do take effect', async () => {
    const b = await sendAndWait(app, ['control-bounce@example.org']);
    const c = await sendAndWait(app, ['control-complaint@example.org']);
    const rpB = verp ? tok(b) : generic;
    const rpC = verp ? tok(c) : generic;
    expect(await sendReport(app.ports.returnPath!, '', rpB, bounce(b, rpB, b.rcpts[0]!, quoted(b, rpB)))).toBe(250);
    expect(await sendReport(app.ports.returnPath!, 'fbl@isp.example', rpC, complaint(c, rpC, c.rcpts[0]!, quoted(c, rpC)))).toBe(250);
    await sleep(200);
    expect((await app.store.getRecipient(b.rcpts[0]!))).toMatchObject({ invalid: true });
    expect((await app.store.getRecipient(c.rcpts[0]!))).toMatchObject({ suppressed: true });
    // The genuine reports touched only their own recipients.
    expect((await app.store.getRecipient('victim@example.org'))).toMatchObject({ invalid: false, suppressed: false });
  });
});
