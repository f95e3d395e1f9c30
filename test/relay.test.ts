import { afterEach, describe, expect, it } from 'vitest';
import { Upstream } from './helpers/upstream.js';
import { cleanup, queueIdOf, send, startRebound, tempDir, testConfig, waitFor } from './helpers/rebound.js';
import type { Rebound } from '../src/main.js';

let app: Rebound | null = null;
let up: Upstream | null = null;
let dir = '';

afterEach(async () => {
  await app?.stop(2_000);
  await up?.stop();
  app = null;
  up = null;
  if (dir) cleanup(dir);
});

describe('relay: per-recipient outcomes', () => {
  it('delivers, defers and bounces each recipient on its own', async () => {
    up = await new Upstream({ rcpt: { defer: '450 4.2.2 Mailbox full, try later', unknown: '550 5.1.1 <unknown@example.org>: Recipient address rejected: User unknown' } }).start();
    dir = tempDir();
    app = await startRebound(testConfig(dir, up.port, { delivery: { retry: { firstDelayMs: 60_000, maxDelayMs: 60_000, lifetimeMs: 3_600_000 } } }));
    const res = await send(app.ports.submission, { to: ['ok@example.org', 'defer@example.org', 'unknown@example.org'] });
    expect(res.response).toMatch(/^250 2\.0\.0 Ok: queued as [0-9A-Z]+/);
    const queueId = queueIdOf(res.response);
    const store = app.store;
    await waitFor(async () => (await store.getMessage(queueId))?.rcpts.every((r) => r.status !== 'queued'));
    const m = (await store.getMessage(queueId))!;
    const by = Object.fromEntries(m.rcpts.map((r) => [r.rcpt, r]));
    expect(by['ok@example.org']!.status).toBe('delivered');
    expect(by['defer@example.org']!.status).toBe('deferred');
    expect(by['defer@example.org']!.lastEnhanced).toBe('4.2.2');
    expect(by['unknown@example.org']!.status).toBe('bounced');
    expect(by['unknown@example.org']!.lastCode).toBe(550);
    expect(by['unknown@example.org']!.lastEnhanced).toBe('5.1.1');
    expect(by['unknown@example.org']!.lastResponse).toContain('User unknown');
    expect(up.deliveredTo()).toEqual(['ok@example.org']);
    expect((await store.getRecipient('unknown@example.org'))!.invalid).toBe(true);
    expect((await store.getRecipient('defer@example.org'))!.invalid).toBe(false);
    expect((await store.getRecipient('ok@example.org'))!.lastStatus).toBe('delivered');
    const attempts = (await store.eventsForMessage(queueId)).filter((e) => e.type === 'attempt');
    expect(attempts).toHaveLength(3);
    const a = attempts.find((e) => e.type === 'attempt' && e.rcpt === 'unknown@example.org');
    expect(a).toMatchObject({ stage: 'rcpt', code: 550, enhanced: '5.1.1', mx: '127.0.0.1', ip: '127.0.0.1', attempt: 1, hard: true });
  });
});
