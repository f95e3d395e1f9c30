import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Upstream } from './helpers/upstream.js';
import { cleanup, queueIdOf, send, startRebound, tempDir, testConfig, waitFor } from './helpers/rebound.js';
import type { Rebound } from '../src/main.js';
import type { RecipientEvent } from '../src/types.js';
import { parseReturnPath, verifyReturnPath } from '../src/delivery/index.js';

let app: Rebound | null = null;
const ups: Upstream[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await app?.stop(2_000);
  app = null;
  for (const u of ups.splice(0)) await u.stop();
  for (const d of dirs.splice(0)) cleanup(d);
});

async function upstream(opts: ConstructorParameters<typeof Upstream>[0] = {}): Promise<Upstream> {
  const u = await new Upstream(opts).start();
  ups.push(u);
  return u;
}

function dir(): string {
  const d = tempDir();
  dirs.push(d);
  return d;
}

const integrationEvents = async (app: Rebound, queueId: string) =>
  (await app.store.eventsForMessage(queueId)).filter((e): e is Extract<RecipientEvent, { type: 'integration' }> => e.type === 'integration');

describe('delivery: retries, expiry and the invalid flag', () => {
  it('retries a deferred recipient on the backoff schedule until it is delivered', async () => {
    const up = await upstream({ rcpt: { later: '450 4.2.1 Try again later' } });
    app = await startRebound(testConfig(dir(), up.port, { delivery: { retry: { firstDelayMs: 150, maxDelayMs: 300, lifetimeMs: 60_000 } } }));
    const q = queueIdOf((await send(app.ports.submission, { to: 'later@example.org' })).response);
    const store = app.store;
    await waitFor(async () => ((await store.getMessage(q))?.rcpts[0]!.attempts ?? 0) >= 2);
    expect((await store.getMessage(q))!.rcpts[0]!.status).toBe('deferred');
    up.opts.rcpt = {};
    await waitFor(async () => (await store.getMessage(q))?.rcpts[0]!.status === 'delivered', 5_000);
    const attempts = (await store.eventsForMessage(q)).filter((e) => e.type === 'attempt');
    expect(attempts.length).toBeGreaterThanOrEqual(3);
    // Backoff: the gaps between attempts grow and are never shorter than the first delay.
    const times = attempts.map((e) => e.time);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(140);
    expect((await store.getMessage(q))!.status).toBe('done');
    await waitFor(() => !app!.spool.has(q));
  });

  it('expires a recipient that is still deferred at the end of its lifetime', async () => {
    const up = await upstream({ rcpt: { never: '451 4.3.0 Temporary local problem' } });
    app = await startRebound(testConfig(dir(), up.port, { delivery: { retry: { firstDelayMs: 100, maxDelayMs: 100, lifetimeMs: 600 } } }));
    const q = queueIdOf((await send(app.ports.submission, { to: ['never@example.org', 'fine@example.org'] })).response);
    await waitFor(async () => (await app!.store.getMessage(q))?.status === 'done', 5_000);
    const m = (await app.store.getMessage(q))!;
    expect(m.rcpts.find((r) => r.rcpt === 'never@example.org')!.status).toBe('expired');
    expect(m.rcpts.find((r) => r.rcpt === 'fine@example.org')!.status).toBe('delivered');
    expect(m.rcpts.find((r) => r.rcpt === 'fine@example.org')!.attempts).toBe(1); // never retried with the other
    const rec = (await app.store.getRecipient('never@example.org'))!;
    expect(rec.lastStatus).toBe('expired');
    expect(rec.invalid).toBe(false);
  });

  it('flags a user-unknown address; a smarthost 250 is acceptance: the flag clears once no bounce came within the window', async () => {
    const up = await upstream({ rcpt: { bob: '550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown in virtual mailbox table' } });
    app = await startRebound(testConfig(dir(), up.port, { returnPath: { bounceWindowMs: 1_500 } }));
    await send(app.ports.submission, { to: 'bob@example.org' });
    await waitFor(async () => (await app!.store.getRecipient('bob@example.org'))?.invalid);
    expect((await app.store.getRecipient('bob@example.org'))).toMatchObject({ reason: 'userunknown', category: 'Invalid Email', consecutiveFailures: 1 });
    up.opts.rcpt = {};
    const q = queueIdOf((await send(app.ports.submission, { to: 'bob@example.org' })).response);
    await waitFor(async () => (await app!.store.getRecipient('bob@example.org'))?.lastStatus === 'delivered');
    // Accepted by the smarthost, not delivered: the flag stands and waits for that message's fate.
    expect((await app.store.getRecipient('bob@example.org'))).toMatchObject({ invalid: true, awaiting: { queueId: q } });
    await waitFor(async () => (await app!.store.getRecipient('bob@example.org'))?.invalid === false, 5_000);
    const rec = (await app.store.getRecipient('bob@example.org'))!;
    expect(rec).toMatchObject({ clearedBy: 'bounce-window', awaiting: null });
    expect(rec.consecutiveFailures).toBe(0);
    const kinds = (await app.store.eventsForRecipient('bob@example.org')).map((e) => e.type);
    expect(kinds).toContain('flag');
    expect(kinds).toContain('clear');
  });

  it('resends what did not get through once the cause is fixed', async () => {
    const up = await upstream({ rcpt: { carol: '550 5.1.1 No such user' } });
    app = await startRebound(testConfig(dir(), up.port, { returnPath: { bounceWindowMs: 1_000 } }));
    const q = queueIdOf((await send(app.ports.submission, { to: ['carol@example.org', 'dave@example.org'], subject: 'invoice 42' })).response);
    await waitFor(async () => (await app!.store.getMessage(q))?.status === 'done');
    up.opts.rcpt = {};
    const resent = await app.resendTo('carol@example.org');
    expect(resent).toHaveLength(1);
    expect(resent[0]!.from).toBe(q);
    await waitFor(() => up.deliveredTo().includes('carol@example.org'));
    const copy = up.received.find((m) => m.to.includes('carol@example.org'))!;
    expect(copy.raw.toString()).toContain('Subject: invoice 42');
    expect(copy.raw.toString()).toContain(`X-Rebound-Resent-From: ${q}`);
    expect(up.deliveredTo().filter((r) => r === 'dave@example.org')).toHaveLength(1);
    await waitFor(async () => (await app!.store.getRecipient('carol@example.org'))?.invalid === false);
  });

  it('does not flag blocks, full mailboxes or policy rejections', async () => {
    const up = await upstream({
      rcpt: {
        full: '552 5.2.2 Mailbox full',
        blocked: '554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org',
        policy: '550 5.7.1 Message rejected due to local policy',
      },
    });
    app = await startRebound(testConfig(dir(), up.port));
    await send(app.ports.submission, { to: ['full@example.org', 'blocked@example.org', 'policy@example.org'] });
    for (const r of ['full', 'blocked', 'policy']) {
      const rec = await waitFor(async () => (await app!.store.getRecipient(`${r}@example.org`)));
      expect(rec.lastStatus).toBe('bounced');
      expect(rec.invalid).toBe(false);
    }
    expect((await app.store.getRecipient('blocked@example.org'))!.category).toBe('Blocked');
  });
});

describe('delivery: integration errors never blame recipients', () => {
  const cases: Array<[string, () => Promise<{ port: number; over?: Parameters<typeof testConfig>[2] }>, string]> = [
    ['421 at greeting', async () => ({ port: (await upstream({ greeting: '421 4.3.2 Service not available, closing channel' })).port }), 'greeting'],
    ['535 on AUTH', async () => ({ port: (await upstream({ auth: { user: 'relay', pass: 'right' } })).port, over: { delivery: { smarthost: { auth: { user: 'relay', pass: 'wrong' } } } } }), 'auth'],
    ['STARTTLS required by us, certificate not trusted', async () => ({ port: (await upstream()).port, over: { delivery: { smarthost: { starttls: 'required', rejectUnauthorized: true } } } }), 'tls'],
    ['STARTTLS required by the upstream, ours switched off', async () => ({ port: (await upstream({ requireTls: true })).port, over: { delivery: { smarthost: { starttls: 'off' } } } }), 'tls'],
    ['connection refused', async () => {
      const s = net.createServer();
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
      const port = (s.address() as net.AddressInfo).port;
      await new Promise<void>((r) => s.close(() => r()));
      return { port };
    }, 'connection'],
  ];
  for (const [name, setup, cause] of cases) {
    it(`${name}: recorded as an integration error (${cause}), message deferred, nobody flagged`, async () => {
      const { port, over } = await setup();
      app = await startRebound(testConfig(dir(), port, { ...(over ?? {}), delivery: { ...(over?.delivery ?? {}), retry: { firstDelayMs: 60_000, maxDelayMs: 60_000, lifetimeMs: 3_600_000 } } }));
      const rcpts = ['one@a.example', 'two@b.example', 'three@c.example'];
      const q = queueIdOf((await send(app.ports.submission, { to: rcpts })).response);
      await waitFor(async () => (await integrationEvents(app!, q)).length > 0 && (await app!.store.getMessage(q))?.rcpts.every((r) => r.status === 'deferred'));
      const ev = (await integrationEvents(app, q))[0]!;
      expect(ev.cause).toBe(cause);
      expect(ev.rcpts.sort()).toEqual([...rcpts].sort());
      for (const r of rcpts) {
        const rec = (await app.store.getRecipient(r));
        expect(rec?.invalid ?? false).toBe(false);
        expect(rec?.consecutiveFailures ?? 0).toBe(0);
      }
      expect(app.spool.has(q)).toBe(true);
    });
  }
});

describe('delivery: a destination that just failed is suspended', () => {
  it('does not open new connections to a host that never greets until its suspension ends', async () => {
    // A black hole: accepts TCP, never says 220.
    let connections = 0;
    const hole = net.createServer((sock) => {
      connections++;
      sock.on('error', () => undefined);
    });
    await new Promise<void>((r) => hole.listen(0, '127.0.0.1', () => r()));
    const port = (hole.address() as net.AddressInfo).port;
    try {
      app = await startRebound(testConfig(dir(), port, {
        delivery: { greetingTimeoutMs: 300, retry: { firstDelayMs: 30_000, maxDelayMs: 60_000, lifetimeMs: 3_600_000 } },
      }));
      const first = queueIdOf((await send(app.ports.submission, { to: 'a@example.org' })).response);
      await waitFor(async () => (await app!.store.getMessage(first))?.rcpts[0]!.status === 'deferred', 5_000);
      expect(connections).toBe(1);
      const later: string[] = [];
      for (let i = 0; i < 4; i++) later.push(queueIdOf((await send(app.ports.submission, { to: `r${i}@example.org` })).response));
      await waitFor(async () => (await Promise.all(later.map((q) => app!.store.getMessage(q)))).every((m) => m?.rcpts[0]!.status === 'deferred'), 5_000);
      expect(connections).toBe(1);
      for (const q of later) {
        const r = (await app.store.getMessage(q))!.rcpts[0]!;
        expect(r.lastResponse).toMatch(/delivery temporarily suspended/);
        expect((await app.store.getRecipient(r.rcpt))?.invalid ?? false).toBe(false);
      }
    } finally {
      await app?.stop(1_000);
      app = null;
      await new Promise<void>((r) => hole.close(() => r()));
    }
  });
});

describe('delivery: return path and trace header', () => {
  it('uses a signed per-recipient VERP MAIL FROM and adds the queue id trace header', async () => {
    const up = await upstream();
    app = await startRebound(testConfig(dir(), up.port, { returnPath: { domain: 'bounces.example.net', secret: 'k3y-k3y-k3y-k3y-k3y' } }));
    const q = queueIdOf((await send(app.ports.submission, { to: ['a@example.org', 'b@example.org'] })).response);
    await waitFor(() => up.received.length === 2);
    for (const m of up.received) {
      expect(m.to).toHaveLength(1);
      const tok = parseReturnPath(m.from)!;
      expect(tok).toMatchObject({ queueId: q, domain: 'bounces.example.net' });
      expect(verifyReturnPath('k3y-k3y-k3y-k3y-k3y', tok, m.to[0]!)).toBe(true);
      expect(verifyReturnPath('k3y-k3y-k3y-k3y-k3y', tok, 'someone-else@example.org')).toBe(false);
      expect(verifyReturnPath('other-secret', tok, m.to[0]!)).toBe(false);
      expect(m.raw.toString()).toContain(`X-Rebound-Queue-Id: ${q}`);
    }
  });

  it('reuses one upstream connection for consecutive messages', async () => {
    const up = await upstream();
    app = await startRebound(testConfig(dir(), up.port, { delivery: { idleTimeoutMs: 5_000 } }));
    for (let i = 0; i < 5; i++) {
      await send(app.ports.submission, { to: `r${i}@example.org` });
      await waitFor(() => up.received.length === i + 1);
    }
    expect(up.connections).toBe(1);
  });
});
