// The SMTP stage of an upstream refusal decides what it says about the recipient: the same words
// at RCPT and after end of DATA mean different things, and a refusal before RCPT is never theirs.
import { afterEach, describe, expect, it } from 'vitest';
import { Upstream, type UpstreamOptions } from './helpers/upstream.js';
import { cleanup, queueIdOf, send, startRebound, tempDir, testConfig, waitFor } from './helpers/rebound.js';
import type { Rebound } from '../src/main.js';
import type { Attempt, RecipientEvent } from '../src/types.js';

let app: Rebound | null = null;
const ups: Upstream[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await app?.stop(2_000);
  app = null;
  for (const u of ups.splice(0)) await u.stop();
  for (const d of dirs.splice(0)) cleanup(d);
});

async function relayTo(opts: UpstreamOptions): Promise<Rebound> {
  const up = await new Upstream(opts).start();
  ups.push(up);
  const d = tempDir();
  dirs.push(d);
  app = await startRebound(testConfig(d, up.port, { delivery: { retry: { firstDelayMs: 100, maxDelayMs: 100, lifetimeMs: 60_000 } } }));
  return app;
}

async function attempts(a: Rebound, q: string): Promise<Attempt[]> {
  return (await a.store.eventsForMessage(q)).filter((e): e is Extract<RecipientEvent, { type: 'attempt' }> => e.type === 'attempt');
}
const integrations = async (a: Rebound, q: string) => (await a.store.eventsForMessage(q)).filter((e) => e.type === 'integration');

async function finalAttempt(a: Rebound, q: string): Promise<Attempt> {
  return waitFor(async () => (await attempts(a, q)).find((x) => x.status !== 'deferred'), 5_000);
}

describe('delivery: the stage of a refusal', () => {
  it('550 "user unknown" at end of DATA is a filter\'s verdict: filtered, never flagged', async () => {
    const a = await relayTo({ data: '550 user unknown' });
    const q = queueIdOf((await send(a.ports.submission, { to: 'carol@example.org' })).response);
    const att = await finalAttempt(a, q);
    expect(att).toMatchObject({ status: 'bounced', stage: 'eod', reason: 'filtered', hard: false, code: 550 });
    expect((await a.store.getRecipient('carol@example.org'))).toMatchObject({ invalid: false, reason: 'filtered', category: 'Blocked' });
  });

  it('550 "user unknown" at RCPT is a missing mailbox: userunknown, flagged', async () => {
    const a = await relayTo({ rcpt: { carol: '550 user unknown' } });
    const q = queueIdOf((await send(a.ports.submission, { to: 'carol@example.org' })).response);
    const att = await finalAttempt(a, q);
    expect(att).toMatchObject({ status: 'bounced', stage: 'rcpt', reason: 'userunknown', hard: true, code: 550 });
    await waitFor(async () => (await a.store.getRecipient('carol@example.org'))?.invalid);
    expect((await a.store.getRecipient('carol@example.org'))!.category).toBe('Invalid Email');
  });

  it('a delivery is recorded at end of DATA', async () => {
    const a = await relayTo({});
    const q = queueIdOf((await send(a.ports.submission, { to: 'dan@example.org' })).response);
    expect(await finalAttempt(a, q)).toMatchObject({ status: 'delivered', stage: 'eod' });
  });

  it('a message larger than the upstream\'s SIZE bounces as mesgtoobig (5.3.4) without an integration error', async () => {
    const a = await relayTo({ size: 2_000 });
    const q = queueIdOf((await send(a.ports.submission, { to: ['erin@example.org', 'Frank@example.org'], text: 'x'.repeat(5_000) })).response);
    await waitFor(async () => (await a.store.getMessage(q))?.status === 'done', 5_000);
    const all = await attempts(a, q);
    expect(all).toHaveLength(2); // refused at once: no retries for a limit that will not change
    for (const att of all) {
      expect(att).toMatchObject({ status: 'bounced', stage: 'mail', reason: 'mesgtoobig', enhanced: '5.3.4', code: 552, hard: false });
      expect(att.integration).toBeUndefined();
    }
    expect(await integrations(a, q)).toHaveLength(0);
    expect((await a.store.getRecipient('erin@example.org'))!.invalid).toBe(false);
  });

  it('552 5.3.4 to MAIL FROM is about the message: it bounces, nobody is flagged', async () => {
    const a = await relayTo({ mail: '552 5.3.4 Message size exceeds fixed limit' });
    const q = queueIdOf((await send(a.ports.submission, { to: 'gina@example.org' })).response);
    expect(await finalAttempt(a, q)).toMatchObject({ status: 'bounced', stage: 'mail', reason: 'mesgtoobig', hard: false });
    expect(await integrations(a, q)).toHaveLength(0);
    expect((await a.store.getRecipient('gina@example.org'))!.invalid).toBe(false);
  });

  it('a MAIL FROM refusal about our setup (AUTH demanded) stays an integration error and defers', async () => {
    const a = await relayTo({ mail: '530 5.7.0 Authentication required' });
    const q = queueIdOf((await send(a.ports.submission, { to: 'hank@example.org' })).response);
    const att = await waitFor(async () => (await attempts(a, q))[0], 5_000);
    expect(att).toMatchObject({ status: 'deferred', stage: 'mail', integration: 'auth', hard: false });
    expect((await integrations(a, q)).length).toBeGreaterThanOrEqual(1);
    expect((await a.store.getRecipient('hank@example.org'))?.lastStatus ?? null).toBeNull(); // record untouched
  });

  it('a MAIL FROM refusal that names an unknown user is still never the recipient\'s fault', async () => {
    const a = await relayTo({ mail: '550 5.1.1 Sender address rejected: user unknown' });
    const q = queueIdOf((await send(a.ports.submission, { to: 'ivy@example.org' })).response);
    const att = await waitFor(async () => (await attempts(a, q))[0], 5_000);
    expect(att.hard).toBe(false);
    expect(att.integration).toBe('sender');
    expect((await a.store.getRecipient('ivy@example.org'))?.invalid ?? false).toBe(false);
  });
});
