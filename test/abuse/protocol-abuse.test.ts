// Protocol abuse against BOTH SMTP listeners (submission and return path): garbage, huge lines,
// recipient floods, NUL bytes, silent and half-closed clients, connection floods, brute force,
// pipelining floods and the SMTP smuggling end-of-data variants. After every abuse the server
// must still complete a clean transaction.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Upstream } from '../helpers/upstream.js';
import { allEvents, cleanup, listMessages, startRebound, tempDir, testConfig } from '../helpers/rebound.js';
import { hashPassword } from '../../src/util/password.js';
import { makeReturnPath } from '../../src/delivery/index.js';
import type { Rebound } from '../../src/main.js';
import type { RecipientEvent } from '../../src/types.js';
import { RawClient, capturingLogger, cleanTransaction, sleep, type Reply } from './raw-smtp.js';

const RP_DOMAIN = 'bounces.abuse.test';
const SECRET = 'abuse-test-secret-0123456789abcdef';
const MAX_CLIENTS = 20;
const MAX_RCPTS = 100;
const TIMEOUT_MS = 1_000;
const MAX_AUTH_FAILURES = 5;

let up: Upstream;
let app: Rebound;
let dir: string;
const log = capturingLogger('info');

beforeAll(async () => {
  up = await new Upstream().start();
  dir = tempDir('rebound-abuse-');
  app = await startRebound(testConfig(dir, up.port, {
    submission: {
      trustedNetworks: ['127.0.0.1/32'],
      maxClients: MAX_CLIENTS,
      maxRecipients: MAX_RCPTS,
      socketTimeoutMs: TIMEOUT_MS,
      maxAuthFailures: MAX_AUTH_FAILURES,
      users: [{ user: 'app', passwordHash: await hashPassword('correct horse') }],
    },
    returnPath: { domain: RP_DOMAIN, secret: SECRET, port: 0, socketTimeoutMs: TIMEOUT_MS },
  }), { logger: log.logger });
}, 30_000);

afterAll(async () => {
  await app?.stop(2_000);
  await up?.stop();
  if (dir) cleanup(dir);
});

interface Listener {
  name: 'submission' | 'return path';
  port(): number;
  from: string;
  to: string;
  /** A second valid recipient address (for recipient floods). */
  rcpt(i: number): string;
}

const LISTENERS: Listener[] = [
  { name: 'submission', port: () => app.ports.submission, from: 'sender@example.com', to: 'alive@example.org', rcpt: (i) => `r${i}@example.org` },
  { name: 'return path', port: () => app.ports.returnPath!, from: '', to: `postmaster@${RP_DOMAIN}`, rcpt: (i) => `r${i}@${RP_DOMAIN}` },
];

async function stillServing(l: Listener): Promise<void> {
  const t = await cleanTransaction(l.port(), l.from, l.to);
  const codes = t.map((r) => r.code);
  expect(codes, `${l.name} no longer serves a clean transaction: ${JSON.stringify(t)}`).toEqual([220, 250, 250, 250, 354, 250, 221]);
}

const reportEvents = async () => (await allEvents(app.store)).filter((e): e is Extract<RecipientEvent, { type: 'report' }> => e.type === 'report');

describe.each(LISTENERS)('$name listener under abuse', (l) => {
  it('answers garbage, binary junk and an HTTP request with errors (never 2xx) and keeps serving', async () => {
    const junk = ['FOO BAR\r\n', 'MAIL FROM:<not an address\r\n', 'RCPT TO:<x@y>\r\n', '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n', '\xff\xfe\xfd\xfc\r\n', 'DATA\r\n', `${'%'.repeat(900)}\r\n`];
    const { client } = await RawClient.connect(l.port());
    const replies: Array<Reply | null> = [];
    for (const j of junk) replies.push(await client.say(j, 3_000));
    client.destroy();
    for (const [i, r] of replies.entries()) {
      if (r === null) continue; // the server may hang up on junk: allowed
      expect(r.code, `junk #${i} got ${r.text}`).toBeGreaterThanOrEqual(400);
    }
    // An HTTP request on an SMTP port (cross-protocol attack) is refused and the connection closed.
    const http = await RawClient.connect(l.port());
    const r = await http.client.say('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(r?.code).toBe(421);
    expect(await http.client.waitClosed(3_000)).toBe(true);
    await stillServing(l);
  });

  it('refuses a 10 MB command line and disconnects, then keeps serving', async () => {
    const { client } = await RawClient.connect(l.port());
    await client.say('EHLO big.example\r\n');
    const start = Date.now();
    // Written as one 10 MB line (no CRLF until the end), in 1 MB chunks like a fast client would.
    const mb = Buffer.alloc(1024 * 1024, 'A');
    for (let i = 0; i < 10 && !client.sock.destroyed; i++) await client.write(mb);
    await client.write('\r\n');
    const r = await client.reply(5_000);
    const closed = await client.waitClosed(5_000);
    client.destroy();
    console.log(`[abuse] ${l.name}: 10 MB line -> ${r?.text ?? '(no reply)'}; closed=${closed} after ${Date.now() - start} ms`);
    expect(r === null || r.code >= 500 || r.code === 421, `unexpected reply ${r?.text}`).toBe(true);
    expect(closed).toBe(true);
    await stillServing(l);
  });

  it(`limits a 10,000-recipient envelope (452 past the limit)`, { timeout: 30_000 }, async () => {
    const { client } = await RawClient.connect(l.port());
    await client.say('EHLO many.example\r\n');
    await client.say(`MAIL FROM:<${l.from}>\r\n`);
    const lines = Array.from({ length: 10_000 }, (_, i) => `RCPT TO:<${l.rcpt(i)}>\r\n`).join('');
    const start = Date.now();
    await client.write(lines);
    const replies = await client.replies(10_000, 20_000);
    client.destroy();
    const ok = replies.filter((r) => r.code === 250).length;
    const tooMany = replies.filter((r) => r.code === 452).length;
    console.log(`[abuse] ${l.name}: 10,000 RCPT pipelined in one write -> ${replies.length} replies in ${Date.now() - start} ms: ${ok}x250, ${tooMany}x452, other ${replies.length - ok - tooMany}`);
    expect(ok, `${l.name} accepted ${ok} recipients in one envelope`).toBeLessThanOrEqual(MAX_RCPTS);
    expect(tooMany).toBeGreaterThan(0);
    await stillServing(l);
  });

  it('handles NUL bytes in commands and in the message without crashing or storing a NUL address', async () => {
    const before = (await listMessages(app.store)).length;
    const { client } = await RawClient.connect(l.port());
    const ehlo = await client.say('EHLO nul\0host.example\r\n');
    await client.say('EHLO clean.example\r\n');
    const mail = await client.say(`MAIL FROM:<${l.from ? 'nul\0sender@example.com' : ''}>\r\n`);
    const rcpt = await client.say(`RCPT TO:<nul\0${l.to}>\r\n`);
    const rset = await client.say('RSET\r\n');
    client.destroy();
    console.log(`[abuse] ${l.name}: NUL in EHLO -> ${ehlo?.code}, MAIL -> ${mail?.code}, RCPT -> ${rcpt?.code}, RSET -> ${rset?.code}`);
    if (l.name === 'submission' && mail && mail.code < 300) expect(mail.code, 'NUL inside a sender address accepted').toBeGreaterThanOrEqual(500);
    expect(rcpt?.code ?? 500, 'NUL inside a recipient address accepted').toBeGreaterThanOrEqual(500);
    // A NUL in the body of an otherwise clean message: accepted or refused, the server lives on.
    const t = await cleanTransaction(l.port(), l.from, l.to, 'Subject: nul\r\n\r\nbefore\0after\r\n');
    expect(t.at(-2)!.code === 250 || t.at(-2)!.code >= 500).toBe(true);
    expect((await listMessages(app.store)).filter((m) => m.rcpts.some((r) => r.rcpt.includes('\0')) || m.from.includes('\0'))).toHaveLength(0);
    expect((await listMessages(app.store)).length - before).toBeLessThanOrEqual(1);
    await stillServing(l);
  });

  it('frees silent, stalled and half-closed connections after socketTimeout', async () => {
    const start = Date.now();
    // Silent after the greeting; stalled mid-command; stalled mid-DATA; half-closed (FIN sent).
    const silent = (await RawClient.connect(l.port())).client;
    const midCommand = (await RawClient.connect(l.port())).client;
    await midCommand.say('EHLO slow.example\r\n');
    await midCommand.write('MAIL FR');
    const midData = (await RawClient.connect(l.port())).client;
    for (const c of ['EHLO slow.example\r\n', `MAIL FROM:<${l.from}>\r\n`, `RCPT TO:<${l.to}>\r\n`, 'DATA\r\n']) await midData.say(c);
    await midData.write('Subject: never finished\r\n\r\nhalf a mess');
    const halfClosed = (await RawClient.connect(l.port())).client;
    halfClosed.sock.end();
    const closed = await Promise.all([silent, midCommand, midData, halfClosed].map((c) => c.waitClosed(TIMEOUT_MS + 4_000)));
    const took = Date.now() - start;
    for (const c of [silent, midCommand, midData, halfClosed]) c.destroy();
    console.log(`[abuse] ${l.name}: silent/mid-command/mid-DATA/half-closed freed=${closed.join(',')} within ${took} ms (socketTimeout ${TIMEOUT_MS} ms)`);
    expect(closed).toEqual([true, true, true, true]);
    expect(silent.received).toMatch(/421 [^\r\n]*Timeout/i);
    await stillServing(l);
  });

  it('is not disturbed by pipelining abuse (thousands of commands in one write)', { timeout: 20_000 }, async () => {
    const { client } = await RawClient.connect(l.port());
    const N = 3_000;
    const burst = ['EHLO pipe.example\r\n'];
    for (let i = 0; i < N; i++) burst.push(i % 3 === 0 ? 'RSET\r\n' : i % 3 === 1 ? 'NOOP\r\n' : 'EHLO again.example\r\n');
    // A whole transaction, message included, without waiting for any reply (an "early talker").
    burst.push(`MAIL FROM:<${l.from}>\r\n`, `RCPT TO:<${l.to}>\r\n`, 'DATA\r\n', 'Subject: pipelined\r\n\r\nbody\r\n.\r\n', 'QUIT\r\n');
    const start = Date.now();
    await client.write(burst.join(''));
    // Meanwhile, another client must get its greeting and a NOOP answer promptly.
    const probeStart = Date.now();
    const other = await RawClient.connect(l.port());
    const probe = await other.client.say('NOOP\r\n');
    const probeMs = Date.now() - probeStart;
    other.client.destroy();
    const replies = await client.replies(N + 6, 15_000);
    client.destroy();
    const took = Date.now() - start;
    console.log(`[abuse] ${l.name}: ${N + 6} pipelined commands -> ${replies.length} replies in ${took} ms; concurrent client's greeting+NOOP took ${probeMs} ms`);
    expect(probe?.code).toBe(250);
    expect(probeMs).toBeLessThan(3_000);
    // Either every command was answered in order (last: 354, 250, 221) or the server cut the flood off politely.
    const last = replies.slice(-4).map((r) => r.code);
    if (replies.length === N + 6) expect(last).toEqual([250, 354, 250, 221]);
    else expect(replies.at(-1)?.code, `stream ended with ${replies.at(-1)?.text}`).toBe(421);
    await stillServing(l);
  });

  it('cannot be made to take a smuggled second transaction (<LF>.<LF>, <CR>.<CR>, <LF>.<CR><LF>)', async () => {
    for (const [i, end] of ['\n.\n', '\r.\r', '\n.\r\n'].entries()) {
      const token = `smuggled${i}x${Date.now()}`;
      const victim = l.name === 'submission' ? `${token}@example.org` : `${token}@${RP_DOMAIN}`;
      const reportsBefore = new Set((await reportEvents()).map((e) => e.reportId));
      const upBefore = up.received.length;
      const { client } = await RawClient.connect(l.port());
      for (const c of ['EHLO smuggle.example\r\n', `MAIL FROM:<${l.from}>\r\n`, `RCPT TO:<${l.to}>\r\n`, 'DATA\r\n']) await client.say(c);
      await client.write(`Subject: first\r\n\r\nbody${end}MAIL FROM:<>\r\nRCPT TO:<${victim}>\r\nDATA\r\nSubject: smuggled\r\n\r\nevil\r\n.\r\n`);
      // Exactly one answer to the whole DATA: the smuggled MAIL/RCPT/DATA were never commands.
      const answers = (await client.replies(4, 800)).filter((a) => !/Timeout/i.test(a.text));
      client.destroy();
      expect(answers.length, `${l.name} ${JSON.stringify(end)}: replies ${JSON.stringify(answers)}`).toBe(1);
      await sleep(300);
      if (l.name === 'submission') {
        expect(answers[0]!.code === 554 || answers[0]!.code === 250).toBe(true);
        expect(up.received.slice(upBefore).some((m) => m.to.includes(victim))).toBe(false);
        expect((await listMessages(app.store)).some((m) => m.rcpts.some((r) => r.rcpt === victim))).toBe(false);
      } else {
        const newReports = new Set((await reportEvents()).map((e) => e.reportId).filter((id) => !reportsBefore.has(id)));
        expect(newReports.size, `the smuggled report was processed as a separate report (${JSON.stringify(end)})`).toBeLessThanOrEqual(1);
      }
    }
    await stillServing(l);
  });
});

describe('return path: a smuggled second report with a victim\'s forged token changes nothing', () => {
  it('keeps one report per DATA, and the victim unflagged', async () => {
    // A real message to the victim, so the store knows it and a token would name it.
    const sent = await cleanTransaction(app.ports.submission, 'news@shop.example', 'victim@example.org');
    const q = /queued as (\w+)/.exec(sent.at(-2)!.text)![1]!;
    await (async () => {
      for (let end = Date.now() + 5_000; Date.now() < end; await sleep(50)) if ((await app.store.getMessage(q))?.rcpts[0]?.status === 'delivered') return;
    })();
    const before = JSON.stringify((await app.store.getRecipient('victim@example.org')));
    const good = makeReturnPath(SECRET, RP_DOMAIN, q, 0, 'victim@example.org');
    const forged = good.replace(/-[0-9a-f]{16}@/, '-0123456789abcdef@');
    const dsn = [
      'From: MAILER-DAEMON@evil.example', `To: <${forged}>`, 'Subject: Undelivered Mail', 'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="x"', '', '--x', 'Content-Type: message/delivery-status', '',
      'Reporting-MTA: dns; evil.example', '', 'Final-Recipient: rfc822; victim@example.org', 'Action: failed', 'Status: 5.1.1',
      'Diagnostic-Code: smtp; 550 5.1.1 User unknown', '', '--x--', '',
    ].join('\r\n');
    for (const end of ['\n.\n', '\r.\r', '\n.\r\n']) {
      const { client } = await RawClient.connect(app.ports.returnPath!);
      for (const c of ['EHLO evil.example\r\n', 'MAIL FROM:<>\r\n', `RCPT TO:<postmaster@${RP_DOMAIN}>\r\n`, 'DATA\r\n']) await client.say(c);
      await client.write(`Subject: hello\r\n\r\nnothing to see${end}MAIL FROM:<>\r\nRCPT TO:<${forged}>\r\nDATA\r\n${dsn}\r\n.\r\n`);
      const answers = (await client.replies(4, 800)).filter((a) => !/Timeout/i.test(a.text));
      client.destroy();
      expect(answers.map((a) => a.code)).toEqual([250]);
    }
    await sleep(300);
    expect(JSON.stringify((await app.store.getRecipient('victim@example.org')))).toBe(before);
    expect((await app.store.getMessage(q))!.rcpts[0]!.status).toBe('delivered');
  });
});

describe('connection floods', () => {
  it(`submission: a flood beyond maxClients (${MAX_CLIENTS}) gets a polite 421, and the server keeps serving`, { timeout: 20_000 }, async () => {
    const N = MAX_CLIENTS + 15;
    const conns = await Promise.all(Array.from({ length: N }, () => RawClient.connect(app.ports.submission, { timeoutMs: 5_000 }).catch(() => null)));
    const codes = conns.map((c) => c?.greeting?.code ?? 0);
    const greeted = codes.filter((c) => c === 220).length;
    const refused = codes.filter((c) => c === 421).length;
    const texts = [...new Set(conns.filter((c) => c?.greeting?.code === 421).map((c) => c!.greeting!.text))];
    console.log(`[abuse] submission: ${N} simultaneous connections (maxClients ${MAX_CLIENTS}) -> ${greeted}x220, ${refused}x421 ${JSON.stringify(texts)}, other ${N - greeted - refused}`);
    for (const c of conns) c?.client.destroy();
    expect(greeted).toBeLessThanOrEqual(MAX_CLIENTS);
    expect(refused).toBeGreaterThanOrEqual(N - MAX_CLIENTS);
    expect(greeted + refused, 'every connection got an answer (no silent drops or resets)').toBe(N);
    await sleep(200);
    await stillServing(LISTENERS[0]!);
  });

  it('return path: a flood of 300 connections is limited by maxClients (421), and it serves again afterwards', { timeout: 20_000 }, async () => {
    const N = 300;
    const conns = await Promise.all(Array.from({ length: N }, () => RawClient.connect(app.ports.returnPath!, { timeoutMs: 5_000 }).catch(() => null)));
    const codes = conns.map((c) => c?.greeting?.code ?? 0);
    const greeted = codes.filter((c) => c === 220).length;
    const refused = codes.filter((c) => c === 421).length;
    console.log(`[abuse] return path: ${N} simultaneous connections -> ${greeted}x220, ${refused}x421, other ${N - greeted - refused} (returnPath.maxClients 200)`);
    expect(greeted + refused).toBe(N);
    expect(greeted).toBeLessThanOrEqual(200);
    expect(refused).toBeGreaterThan(0);
    // Once the flood lets go, real reports get through again.
    for (const c of conns) c?.client.destroy();
    await new Promise((r) => setTimeout(r, 200));
    await stillServing(LISTENERS[1]!);
  });

  it('slots held by silent flooders are freed by socketTimeout, so new clients get in again', { timeout: 20_000 }, async () => {
    const conns = await Promise.all(Array.from({ length: MAX_CLIENTS }, () => RawClient.connect(app.ports.submission).catch(() => null)));
    const closed = await Promise.all(conns.map((c) => c?.client.waitClosed(TIMEOUT_MS + 4_000) ?? true));
    expect(closed.every(Boolean)).toBe(true);
    await stillServing(LISTENERS[0]!);
  });
});

describe('AUTH brute force', () => {
  const plain = (u: string, p: string) => Buffer.from(`\0${u}\0${p}`).toString('base64');

  it('submission: one client is refused after maxAuthFailures, the refusal is logged, other clients are unaffected', async () => {
    const ip = '127.0.0.2';
    const { client } = await RawClient.connect(app.ports.submission, { localAddress: ip });
    await client.say('EHLO brute.example\r\n');
    const codes: number[] = [];
    for (let i = 0; i < MAX_AUTH_FAILURES + 3; i++) {
      const r = await client.say(`AUTH PLAIN ${plain('app', `guess${i}`)}\r\n`, 5_000);
      if (!r) break;
      codes.push(r.code);
      if (r.code === 421) break;
    }
    client.destroy();
    expect(codes).toEqual([...Array(MAX_AUTH_FAILURES - 1).fill(535), 421]);
    // A new connection from that address is refused at once, even with the right password.
    const again = await RawClient.connect(app.ports.submission, { localAddress: ip });
    expect(again.greeting?.code).toBe(421);
    again.client.destroy();
    const failures = log.lines.filter((x) => x.msg === 'submission: authentication failed' && x.client === ip);
    expect(failures.length).toBe(MAX_AUTH_FAILURES);
    expect(log.lines.some((x) => x.msg === 'submission: refusing client after repeated failed logins' && x.client === ip)).toBe(true);
    // 127.0.0.1 still gets in.
    await stillServing(LISTENERS[0]!);
  });

  it('submission: a parallel brute force over many connections is bounded too', { timeout: 20_000 }, async () => {
    const ip = '127.0.0.3';
    const CONNS = 10;
    const conns = (await Promise.all(Array.from({ length: CONNS }, () => RawClient.connect(app.ports.submission, { localAddress: ip }).catch(() => null)))).filter((c) => c?.greeting?.code === 220);
    let tried = 0;
    await Promise.all(conns.map(async (c) => {
      await c!.client.say('EHLO brute.example\r\n');
      for (let i = 0; i < 20; i++) {
        const r = await c!.client.say(`AUTH PLAIN ${plain('app', `p${i}`)}\r\n`, 5_000);
        if (!r || r.code === 421 || r.code === 503) break;
        tried++;
      }
      c!.client.destroy();
    }));
    const verified = log.lines.filter((x) => x.msg === 'submission: authentication failed' && x.client === ip).length;
    console.log(`[abuse] submission: parallel brute force over ${conns.length} connections -> ${verified} passwords checked in total (limit ${MAX_AUTH_FAILURES} per window)`);
    // Each connection already open may try once more before it is cut off; no more than that.
    expect(verified).toBeLessThanOrEqual(MAX_AUTH_FAILURES + conns.length);
    expect(tried).toBeLessThan(MAX_AUTH_FAILURES + conns.length);
  });

  it('return path: AUTH is not offered and refused', async () => {
    const { client } = await RawClient.connect(app.ports.returnPath!);
    const ehlo = await client.say('EHLO brute.example\r\n');
    const auth = await client.say(`AUTH PLAIN ${plain('app', 'x')}\r\n`);
    client.destroy();
    expect(ehlo?.text).not.toMatch(/AUTH/);
    expect(auth?.code).toBeGreaterThanOrEqual(500);
  });
});
