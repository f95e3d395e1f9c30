import net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Upstream } from './helpers/upstream.js';
import { cleanup, listMessages, send, startRebound, tempDir, testConfig, waitFor } from './helpers/rebound.js';
import { hashPassword } from '../src/util/password.js';
import type { Rebound } from '../src/main.js';

/** A raw SMTP client: sends lines exactly as given (for protocol abuse and smuggling). */
async function rawSession(port: number, script: (say: (data: string) => Promise<string>) => Promise<void>, secure = false): Promise<string> {
  const sock = secure ? tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false }) : net.connect(port, '127.0.0.1');
  let buf = '';
  let waiter: (() => void) | null = null;
  sock.on('data', (d) => {
    buf += d.toString('latin1');
    waiter?.();
  });
  const transcript: string[] = [];
  const readReply = async (): Promise<string> => {
    for (;;) {
      const m = /(^|\r\n)(\d{3}) [^\r\n]*\r\n/.exec(buf);
      if (m) {
        const end = m.index + m[0].length;
        const reply = buf.slice(0, end);
        buf = buf.slice(end);
        transcript.push(reply.trim());
        return reply;
      }
      await new Promise<void>((r) => {
        waiter = r;
        setTimeout(r, 2000);
      });
      if (sock.destroyed) return buf;
    }
  };
  await readReply();
  await script(async (data) => {
    sock.write(data);
    return readReply();
  });
  sock.end('QUIT\r\n');
  return transcript.join('\n');
}

describe('submission server', () => {
  let up: Upstream;
  let app: Rebound;
  let dir: string;
  beforeAll(async () => {
    up = await new Upstream().start();
    dir = tempDir();
    app = await startRebound(testConfig(dir, up.port, {
      submission: {
        trustedNetworks: [],
        maxMessageBytes: 20_000,
        maxRecipients: 3,
        tls: { key: 'fixtures/tls/key.pem', cert: 'fixtures/tls/cert.pem' },
        securePort: 0,
        users: [
          { user: 'app', passwordHash: await hashPassword('s3cret') },
          { user: 'shop', passwordHash: await hashPassword('pw'), allowedSenderDomains: ['shop.example'] },
        ],
      },
      // VERP on: the envelope sender is replaced on the way out, so the header From: is checked too.
      returnPath: { domain: 'bounces.submission.test', port: 0 },
    }));
  });
  afterAll(async () => {
    await app.stop(2_000);
    await up.stop();
    cleanup(dir);
  });

  it('refuses to relay without authentication (530 5.7.0)', async () => {
    await expect(send(app.ports.submission, { to: 'x@example.org' })).rejects.toThrow(/530 5\.7\.0 Authentication required/);
    expect((await listMessages(app.store))).toHaveLength(0);
  });

  it('accepts an authenticated user over STARTTLS and relays', async () => {
    const res = await send(app.ports.submission, { to: 'a@example.org', auth: { user: 'app', pass: 's3cret' }, requireTLS: true });
    expect(res.response).toMatch(/^250 /);
    await waitFor(() => up.deliveredTo().includes('a@example.org'));
  });

  it('accepts over the implicit-TLS port', async () => {
    const res = await send(app.ports.submissionSecure!, { to: 'tls@example.org', auth: { user: 'app', pass: 's3cret' }, secure: true });
    expect(res.response).toMatch(/^250 /);
  });

  it('rejects a wrong password with 535 5.7.8', async () => {
    await expect(send(app.ports.submission, { to: 'a@example.org', auth: { user: 'app', pass: 'nope' }, requireTLS: true })).rejects.toThrow(/535/);
  });

  it('enforces per-user sender domains', async () => {
    await expect(send(app.ports.submission, { from: 'x@other.example', to: 'a@example.org', auth: { user: 'shop', pass: 'pw' }, requireTLS: true }))
      .rejects.toThrow(/553 5\.7\.1 Sender address <x@other.example> is not allowed/);
    const ok = await send(app.ports.submission, { from: 'orders@shop.example', to: 'a@example.org', auth: { user: 'shop', pass: 'pw' }, requireTLS: true });
    expect(ok.response).toMatch(/^250 /);
  });

  it('refuses an over-size message with 552 5.3.4', async () => {
    await expect(send(app.ports.submission, { to: 'a@example.org', auth: { user: 'app', pass: 's3cret' }, requireTLS: true, text: 'x'.repeat(30_000) }))
      .rejects.toThrow(/552 5\.3\.4/);
  });

  it('limits recipients per message (452 4.5.3)', async () => {
    const t = await rawSession(app.ports.submissionSecure!, async (say) => {
      await say('EHLO t\r\n');
      await say(`AUTH PLAIN ${Buffer.from('\0app\0s3cret').toString('base64')}\r\n`);
      await say('MAIL FROM:<s@example.com>\r\n');
      for (let i = 0; i < 4; i++) await say(`RCPT TO:<r${i}@example.org>\r\n`);
    }, true);
    expect(t).toMatch(/452 4\.5\.3 Too many recipients/);
    expect(t.match(/^250 2\.1\.5/gm)).toHaveLength(3);
  });

  it('advertises PIPELINING, 8BITMIME, SMTPUTF8, SIZE, ENHANCEDSTATUSCODES and STARTTLS, and AUTH only once TLS is up', async () => {
    const t = await rawSession(app.ports.submission, async (say) => {
      await say('EHLO t\r\n');
    });
    for (const ext of ['PIPELINING', '8BITMIME', 'SMTPUTF8', 'SIZE 20000', 'ENHANCEDSTATUSCODES', 'STARTTLS']) expect(t).toContain(ext);
    expect(t, 'AUTH advertised before STARTTLS').not.toMatch(/AUTH/);
    const secure = await rawSession(app.ports.submissionSecure!, async (say) => {
      await say('EHLO t\r\n');
    }, true);
    expect(secure).toContain('AUTH PLAIN LOGIN');
  });

  it('lists AUTH after STARTTLS on the plain port, and refuses AUTH before it with 538', async () => {
    const { RawClient } = await import('./abuse/raw-smtp.js');
    const { client } = await RawClient.connect(app.ports.submission);
    const before = await client.say('EHLO Mixed.Case.Example\r\n');
    const early = await client.say(`AUTH PLAIN ${Buffer.from('\0app\0s3cret').toString('base64')}\r\n`);
    expect(before?.text).not.toMatch(/AUTH/);
    expect(early?.code).toBe(538);
    expect((await client.say('STARTTLS\r\n'))?.code).toBe(220);
    const sock = tls.connect({ socket: client.sock, rejectUnauthorized: false });
    let buf = '';
    sock.on('data', (d: Buffer) => (buf += d.toString('latin1')));
    await new Promise<void>((r) => sock.once('secureConnect', () => r()));
    sock.write('EHLO Mixed.Case.Example\r\n');
    await waitFor(() => /^250 /m.test(buf), 5_000);
    sock.destroy();
    expect(buf).toMatch(/^250-AUTH PLAIN LOGIN|^250 AUTH PLAIN LOGIN/m);
  });

  it('checks the header From: against the user\'s sender domains too (VERP replaces the envelope sender)', async () => {
    const auth = { user: 'shop', pass: 'pw' };
    const { default: nodemailer } = await import('nodemailer');
    const sendRaw = async (headerFrom: string) => {
      const t = nodemailer.createTransport({ host: '127.0.0.1', port: app.ports.submission, requireTLS: true, tls: { rejectUnauthorized: false }, auth });
      try {
        return await t.sendMail({ envelope: { from: 'Orders@Shop.Example', to: ['Buyer@Example.ORG'] }, raw: `From: ${headerFrom}\r\nTo: Buyer@Example.ORG\r\nSubject: hi\r\n\r\nhello\r\n` });
      } finally {
        t.close();
      }
    };
    await expect(sendRaw('"Your Bank" <Security@Bank.Example>')).rejects.toThrow(/550 5\.7\.1 Header From: <Security@Bank\.Example> is not allowed for user shop/);
    await expect(sendRaw('Orders@Shop.Example, ceo@bank.example')).rejects.toThrow(/550 5\.7\.1/);
    await expect(sendRaw('"Orders, Shop@Bank.Example" <Orders@SHOP.example>')).resolves.toMatchObject({ response: expect.stringMatching(/^250 /) });
  });

  it('cannot be made to accept a smuggled second message (<LF>.<LF>, <CR>.<CR>, <LF>.<CR><LF>)', async () => {
    for (const [i, end] of ['\n.\n', '\r.\r', '\n.\r\n'].entries()) {
      const before = up.received.length;
      const token = `smuggled-${i}-${Date.now()}`;
      const t = await rawSession(app.ports.submissionSecure!, async (say) => {
        await say('EHLO t\r\n');
        await say(`AUTH PLAIN ${Buffer.from('\0app\0s3cret').toString('base64')}\r\n`);
        await say('MAIL FROM:<s@example.com>\r\n');
        await say('RCPT TO:<victim@example.org>\r\n');
        await say('DATA\r\n');
        await say(`Subject: first\r\n\r\nbody${end}MAIL FROM:<evil@example.com>\r\nRCPT TO:<${token}@example.org>\r\nDATA\r\nSubject: smuggled\r\n\r\nevil\r\n.\r\n`);
      }, true);
      expect(t).toMatch(/554 5\.6\.0 Message contains bare LF or CR/);
      await new Promise((r) => setTimeout(r, 200));
      expect(up.received.slice(before).some((m) => m.to.some((x) => x.startsWith(token)))).toBe(false);
      expect((await listMessages(app.store)).some((m) => m.rcpts.some((r) => r.rcpt.startsWith(token)))).toBe(false);
    }
  });

  it('answers garbage commands with errors and keeps serving', async () => {
    const t = await rawSession(app.ports.submission, async (say) => {
      await say('EHLO t\r\n');
      await say('FOO BAR\r\n');
      await say('MAIL FROM:<not an address\r\n');
      await say('\0\0\0\r\n');
      await say('NOOP\r\n');
    });
    expect(t).toMatch(/500 /);
    expect(t).toMatch(/250 [^\r\n]*\s*$/);
  });

  it('serves a client that half-closes over implicit TLS to the end (250 and 221)', async () => {
    const sock = tls.connect({ port: app.ports.submissionSecure!, host: '127.0.0.1', rejectUnauthorized: false });
    let buf = '';
    sock.on('data', (d: Buffer) => (buf += d.toString('latin1')));
    const closed = new Promise<void>((r) => sock.once('close', () => r()));
    await waitFor(() => buf.startsWith('220'), 5_000);
    sock.write(`EHLO tls.example\r\nAUTH PLAIN ${Buffer.from('\0app\0s3cret').toString('base64')}\r\nMAIL FROM:<App.Mixed@Example.COM>\r\nRCPT TO:<TLS.HalfClose@Example.ORG>\r\nDATA\r\n`);
    await waitFor(() => /^354 /m.test(buf), 5_000);
    sock.end('Subject: tls half-close\r\n\r\nhello\r\n.\r\nQUIT\r\n');
    await Promise.race([closed, new Promise((r) => setTimeout(r, 5_000))]);
    sock.destroy();
    expect(buf).toMatch(/^250 2\.0\.0 Ok: queued as \w+\r\n221 /m);
  });

  // Keep last: it locks 127.0.0.1 out of this instance.
  it('throttles brute force: after repeated failures the client is refused', async () => {
    const t = await rawSession(app.ports.submissionSecure!, async (say) => {
      await say('EHLO t\r\n');
      for (let i = 0; i < 6; i++) await say(`AUTH PLAIN ${Buffer.from(`\0app\0wrong${i}`).toString('base64')}\r\n`);
    }, true);
    expect(t).toMatch(/421 4\.7\.0 Too many failed logins/);
  });
});

describe('submission: slow clients', () => {
  it('closes a connection that drips bytes past maxSessionMs, and keeps serving others', async () => {
    const up = await new Upstream().start();
    const dir = tempDir();
    const app = await startRebound(testConfig(dir, up.port, { submission: { maxSessionMs: 600, socketTimeoutMs: 5_000 } }));
    try {
      const sock = net.connect(app.ports.submission, '127.0.0.1');
      const closed = new Promise<number>((r) => sock.on('close', () => r(Date.now())));
      sock.on('error', () => undefined);
      const t0 = Date.now();
      const drip = setInterval(() => sock.writable && sock.write('N'), 100); // never a full line
      const at = await closed;
      clearInterval(drip);
      expect(at - t0).toBeGreaterThanOrEqual(550);
      expect(at - t0).toBeLessThan(3_000);
      const ok = await send(app.ports.submission, { to: 'after@example.org' });
      expect(ok.response).toMatch(/^250/);
    } finally {
      await app.stop(1_000);
      await up.stop();
      cleanup(dir);
    }
  });
});
