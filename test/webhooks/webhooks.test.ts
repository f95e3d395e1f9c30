import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Rebound } from '../../src/main.js';
import type { RecipientEvent } from '../../src/types.js';
import { silentLogger } from '../../src/util/logger.js';
import { signPayload, toWebhookEvent, verifySignature, WebhookDispatcher, type WebhookEndpointConfig } from '../../src/webhooks/index.js';
import { freePort } from '../helpers/child.js';
import { allEvents, cleanup, send, startRebound, tempDir, testConfig, waitFor } from '../helpers/rebound.js';
import { Upstream } from '../helpers/upstream.js';
import { Receiver } from './receiver.js';
import { apiFor, auth } from '../http/harness.js';

const SECRET = 'webhook-secret-for-tests';
const UNKNOWN = '550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown in virtual mailbox table';

describe('webhooks', () => {
  const stops: Array<() => Promise<unknown> | void> = [];
  afterEach(async () => {
    for (const s of stops.reverse()) await s();
    stops.length = 0;
  });

  async function setup(endpoints: (r: Receiver) => WebhookEndpointConfig[], dir = tempDir(), receiver?: Receiver,
    retry = { firstDelayMs: 30, maxDelayMs: 120, maxAttempts: 8 }) {
    const up = await new Upstream({ rcpt: { nobody: UNKNOWN } }).start();
    const app = await startRebound(testConfig(dir, up.port));
    const r = receiver ?? (await new Receiver(SECRET).start());
    const hooks = new WebhookDispatcher({
      dir: path.join(dir, 'webhooks'), endpoints: endpoints(r), store: app.store, logger: silentLogger(), clock: { now: () => Date.now() },
      retry, timeoutMs: 2_000,
    });
    await hooks.start();
    stops.push(() => r.stop(), () => up.stop(), () => cleanup(dir));
    stops.push(async () => {
      await hooks.stop();
      await app.stop(2_000);
    });
    return { app, up, receiver: r, hooks, dir };
  }

  /** The webhook events the store's events became, in store order. */
  async function expectedFrom(app: Rebound, rcpts: string[]) {
    const seen = new Map<string, RecipientEvent>();
    for (const r of rcpts) for (const e of await app.store.eventsForRecipient(r)) seen.set(e.id, e);
    const messageIds = new Map<string, string | null>();
    for (const e of seen.values()) if ('queueId' in e && e.queueId) messageIds.set(e.queueId, (await app.store.getMessage(e.queueId))?.messageId ?? null);
    return [...seen.values()].map((e) => toWebhookEvent(e, (q) => messageIds.get(q) ?? null)).filter((e) => e !== null);
  }

  it('posts signed events in order, and retries while the receiver answers 500', async () => {
    const { app, receiver, hooks } = await setup((r) => [{ url: r.url, secret: SECRET }]);
    receiver.failFirst = 3;
    await send(app.ports.submission, { to: ['alice@example.org', 'nobody@example.org'] });
    await waitFor(async () => (await app.store.getRecipient('nobody@example.org'))?.invalid);
    await app.actions.clear('nobody@example.org');

    await waitFor(() => receiver.accepted().length >= 4);
    const got = receiver.accepted();
    expect(got.map((e) => e.type).sort()).toEqual(['bounced', 'cleared', 'delivered', 'flagged']);
    // Same order as the store saw them; flagged strictly before cleared.
    const order = got.map((e) => e.id);
    const storeOrder = (await allEvents(app.store)).map((e) => e.id).filter((id) => order.includes(id));
    expect(order).toEqual(storeOrder);
    expect(got.findIndex((e) => e.type === 'flagged')).toBeLessThan(got.findIndex((e) => e.type === 'cleared'));

    // The first event was tried four times (three 500s), then accepted; every request was signed.
    expect(receiver.requests.slice(0, 4).map((r) => r.event.id)).toEqual(Array(4).fill(got[0]!.id));
    expect(receiver.requests.every((r) => r.signatureOk)).toBe(true);
    const h = receiver.requests[0]!.headers;
    expect(h['x-rebound-signature']).toBe(signPayload(SECRET, Number(h['x-rebound-timestamp']), receiver.requests[0]!.body));
    expect(h['x-rebound-event']).toBe(got[0]!.type);
    expect(h['content-type']).toBe('application/json');

    const bounced = got.find((e) => e.type === 'bounced')!;
    expect(bounced).toMatchObject({ rcpt: 'nobody@example.org', data: { code: 550, enhanced: '5.1.1', reason: 'userunknown', category: 'Invalid Email', hard: true } });
    expect(bounced.queueId).toBeTruthy();
    expect(bounced.messageId).toBeTruthy();
    expect(got).toEqual(await expectedFrom(app, ['alice@example.org', 'nobody@example.org']));

    // The receiver records a request before its answer reaches the dispatcher.
    const status = await waitFor(() => hooks.status().find((x) => x.pending === 0));
    expect(status).toMatchObject({ url: receiver.url, pending: 0, delivered: 4, dropped: 0, consecutiveFailures: 0, lastError: 'HTTP 500' });
    expect(status.lastSuccessAt).toBeGreaterThan(0);
  });

  it('a signature check refuses a tampered body, another secret and a stale timestamp', () => {
    const body = '{"a":1}';
    const ts = Math.floor(Date.now() / 1000);
    expect(verifySignature(SECRET, String(ts), signPayload(SECRET, ts, body), body)).toBe(true);
    expect(verifySignature(SECRET, String(ts), signPayload(SECRET, ts, body), '{"a":2}')).toBe(false);
    expect(verifySignature(SECRET, String(ts), signPayload('other', ts, body), body)).toBe(false);
    expect(verifySignature(SECRET, String(ts - 3600), signPayload(SECRET, ts - 3600, body), body)).toBe(false);
  });

  it('waits for a receiver that is not listening yet, and shows the failure meanwhile', async () => {
    const port = await freePort();
    const late = new Receiver(SECRET);
    // Many slow retries: the event must still be pending when the test looks, however loaded the machine.
    const { app, hooks } = await setup(() => [{ url: `http://127.0.0.1:${port}/hooks`, secret: SECRET }], tempDir(), late,
      { firstDelayMs: 100, maxDelayMs: 400, maxAttempts: 1000 });
    await send(app.ports.submission, { to: 'alice@example.org' });
    await waitFor(() => hooks.status()[0]!.consecutiveFailures >= 2);
    expect(hooks.status()[0]).toMatchObject({ pending: 1, delivered: 0, lastError: 'ECONNREFUSED' });
    // The same state through the API.
    const api = await apiFor(app, { webhooks: hooks });
    const shown = (await api.inject({ url: '/api/webhooks', headers: auth })).json();
    await api.close();
    expect(shown.endpoints).toEqual([expect.objectContaining({ url: `http://127.0.0.1:${port}/hooks`, pending: 1, lastError: 'ECONNREFUSED', nextAttemptAt: expect.any(Number) })]);
    expect(JSON.stringify(shown)).not.toContain(SECRET);
    await late.start(port);
    await waitFor(() => late.accepted().length === 1, 5_000);
    expect(late.accepted()[0]!.type).toBe('delivered');
    await waitFor(() => hooks.status()[0]!.pending === 0);
  });

  it('sends only the event types an endpoint asked for, and gives up after the last retry', async () => {
    const { app, receiver, hooks } = await setup((r) => [
      { url: r.url, secret: SECRET, events: ['bounced', 'flagged'] },
    ]);
    receiver.failFirst = 8; // every try of the first event fails: it is dropped, the next goes through
    await send(app.ports.submission, { to: ['alice@example.org', 'nobody@example.org'] });
    await waitFor(() => receiver.accepted().length === 1, 5_000);
    expect(receiver.requests.map((r) => r.event.type)).toEqual([...Array(8).fill('bounced'), 'flagged']);
    await waitFor(() => hooks.status()[0]!.pending === 0);
    expect(hooks.status()[0]).toMatchObject({ dropped: 1, delivered: 1, pending: 0 });
  });

  it('keeps undelivered events across a restart and sends them when it is back', async () => {
    const dir = tempDir();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/hooks`;
    const up = await new Upstream().start();
    stops.push(() => up.stop(), () => cleanup(dir));
    const config = testConfig(dir, up.port);
    const mk = (app: Rebound, firstDelayMs: number) => new WebhookDispatcher({
      dir: path.join(dir, 'webhooks'), endpoints: [{ url, secret: SECRET }], store: app.store, logger: silentLogger(), clock: { now: () => Date.now() },
      retry: { firstDelayMs, maxDelayMs: firstDelayMs, maxAttempts: 100 },
    });

    let app = await startRebound(config);
    let hooks = mk(app, 60_000);
    await hooks.start();
    await send(app.ports.submission, { to: ['a@example.org', 'b@example.org'] });
    await waitFor(() => hooks.status()[0]!.pending === 2 && hooks.status()[0]!.consecutiveFailures > 0);
    const ids = (await expectedFrom(app, ['a@example.org', 'b@example.org'])).map((e) => e.id);
    await hooks.stop();
    await app.stop(2_000);
    const files = readdirSync(path.join(dir, 'webhooks'));
    expect(files).toHaveLength(1);
    expect(readFileSync(path.join(dir, 'webhooks', files[0]!), 'utf8').trim().split('\n')).toHaveLength(2);

    const receiver = await new Receiver(SECRET).start(port);
    stops.push(() => receiver.stop());
    app = await startRebound(config);
    hooks = mk(app, 30);
    await hooks.start();
    stops.push(async () => {
      await hooks.stop();
      await app.stop(2_000);
    });
    await waitFor(() => receiver.accepted().length === 2, 5_000);
    expect(receiver.accepted().map((e) => e.id)).toEqual(ids);
    expect(receiver.requests.every((r) => r.signatureOk)).toBe(true);
    // Acknowledged: a third start sends nothing again.
    await hooks.stop();
    hooks = mk(app, 30);
    await hooks.start();
    await new Promise((r) => setTimeout(r, 200));
    expect(receiver.requests).toHaveLength(2);
  });
});
