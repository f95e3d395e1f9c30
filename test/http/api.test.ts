import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Rebound } from '../../src/main.js';
import { cleanup, listMessages, send, startRebound, tempDir, testConfig, waitFor } from '../helpers/rebound.js';
import { Upstream } from '../helpers/upstream.js';
import { apiFor, auth, TOKEN } from './harness.js';

describe('HTTP API over a running Rebound', () => {
  let dir: string;
  let up: Upstream;
  let app: Rebound;
  let api: FastifyInstance;
  let queueId: string;
  const BAD = 'nobody@example.org';
  const GOOD = 'alice@example.org';

  beforeAll(async () => {
    dir = tempDir();
    up = await new Upstream({ rcpt: { nobody: '550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown in virtual mailbox table' } }).start();
    app = await startRebound(testConfig(dir, up.port));
    api = await apiFor(app);
    await send(app.ports.submission, { from: 'shop@example.com', to: [GOOD, BAD], subject: 'order' });
    const m = await waitFor(async () => (await listMessages(app.store, { rcpt: BAD })).find((x) => x.status === 'done'));
    queueId = m.queueId;
  });
  afterAll(async () => {
    await api.close();
    await app.stop(2_000);
    await up.stop();
    cleanup(dir);
  });

  it('refuses /api without a token, and with a wrong one, with a JSON error', async () => {
    const none = await api.inject({ method: 'GET', url: '/api/messages' });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(none.json()).toMatchObject({ error: { code: 'unauthorized' } });
    const wrong = await api.inject({ method: 'GET', url: '/api/messages', headers: { authorization: 'Bearer not-the-token' } });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error.message).toMatch(/not one of http.tokens/);
    const basic = await api.inject({ method: 'GET', url: '/api/messages', headers: { authorization: `Basic ${TOKEN}` } });
    expect(basic.statusCode).toBe(401);
    const unknownApi = await api.inject({ method: 'GET', url: '/api/nothing-here' });
    expect(unknownApi.statusCode).toBe(401);
    // The router decodes percent-escapes; the token check must not be fooled by them.
    for (const url of ['/%61pi/messages', '/%61pi/recipients/nobody@example.org', '/api/messages/', '/%6detrics']) {
      expect([401, 404]).toContain((await api.inject({ url })).statusCode);
    }
    expect((await api.inject({ url: '/%61pi/messages' })).statusCode).toBe(401);
  });

  it('answers /healthz, /readyz and the dashboard without a token', async () => {
    expect((await api.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await api.inject({ url: '/readyz' })).statusCode).toBe(200);
    const index = await api.inject({ url: '/' });
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toMatch(/text\/html/);
    expect((await api.inject({ url: '/../package.json' })).statusCode).toBe(404);
    expect((await api.inject({ url: '/%2e%2e/package.json' })).statusCode).toBe(404);
  });

  it('lists and filters messages', async () => {
    const all = await api.inject({ url: '/api/messages', headers: auth });
    expect(all.statusCode).toBe(200);
    expect(all.json().messages.map((m: { queueId: string }) => m.queueId)).toContain(queueId);
    const bounced = (await api.inject({ url: `/api/messages?status=bounced&recipient=${BAD}`, headers: auth })).json();
    expect(bounced.total).toBe(1);
    const byCategory = (await api.inject({ url: `/api/messages?category=${encodeURIComponent('Invalid Email')}`, headers: auth })).json();
    expect(byCategory.messages[0].queueId).toBe(queueId);
    const byReason = (await api.inject({ url: '/api/messages?reason=mailboxfull', headers: auth })).json();
    expect(byReason.total).toBe(0);
    const future = (await api.inject({ url: `/api/messages?since=${Date.now() + 60_000}`, headers: auth })).json();
    expect(future.total).toBe(0);
    const recent = (await api.inject({ url: '/api/messages?since=1h&until=2099-01-01', headers: auth })).json();
    expect(recent.total).toBeGreaterThan(0);
    const bad = await api.inject({ url: '/api/messages?since=yesterday-ish', headers: auth });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('bad_since');
    const badStatus = await api.inject({ url: '/api/messages?status=lost', headers: auth });
    expect(badStatus.statusCode).toBe(400);
  });

  it('pages lists by cursor (next), by offset as well, and refuses a cursor it did not hand out', async () => {
    const t0 = Date.now() - 60_000;
    const ids = Array.from({ length: 7 }, (_, i) => `PAGE${i}`);
    await Promise.all(ids.map((id, i) => app.store.putMessage({
      queueId: id, messageId: null, from: 'shop@example.com', user: null, clientIp: '127.0.0.1', size: 10, receivedAt: t0 + i, nextAttemptAt: null, status: 'done',
      rcpts: [{ rcpt: 'Pager@Example.org', status: 'delivered', attempts: 1, lastCode: 250, lastEnhanced: null, lastResponse: '250 ok', lastMx: null, updatedAt: t0 + i }],
    })));
    const newestFirst = [...ids].reverse();
    const seen: string[] = [];
    let next: string | null = null;
    let pages = 0;
    do {
      const q: string = `/api/messages?recipient=pager@example.org&limit=3${next ? `&cursor=${encodeURIComponent(next)}` : ''}`;
      const page = (await api.inject({ url: q, headers: auth })).json() as { total: number; next: string | null; messages: Array<{ queueId: string }> };
      expect(page.total).toBe(7);
      seen.push(...page.messages.map((m) => m.queueId));
      next = page.next;
      pages++;
    } while (next && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(newestFirst);
    const byOffset = (await api.inject({ url: '/api/messages?recipient=pager@example.org&limit=3&offset=3', headers: auth })).json();
    expect(byOffset.messages.map((m: { queueId: string }) => m.queueId)).toEqual(newestFirst.slice(3, 6));
    expect(byOffset.total).toBe(7);
    const past = (await api.inject({ url: '/api/messages?recipient=pager@example.org&limit=3&offset=9', headers: auth })).json();
    expect(past.messages).toEqual([]);
    expect(past.next).toBeNull();
    const noTotal = (await api.inject({ url: '/api/messages?recipient=pager@example.org&limit=2&total=false', headers: auth })).json();
    expect(noTotal.total).toBeUndefined();
    expect(noTotal.messages).toHaveLength(2);
    const bad = await api.inject({ url: '/api/messages?cursor=not-a-cursor', headers: auth });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('bad_cursor');
    expect((await api.inject({ url: '/api/recipients?cursor=not-a-cursor', headers: auth })).statusCode).toBe(400);
    // Recipients: paged by cursor, and an indexed prefix (any case).
    const everyone = (await api.inject({ url: '/api/recipients?limit=1', headers: auth })).json();
    expect(everyone.recipients).toHaveLength(1);
    expect(everyone.total).toBeGreaterThanOrEqual(2);
    const rest = (await api.inject({ url: `/api/recipients?limit=1000&cursor=${encodeURIComponent(everyone.next)}`, headers: auth })).json();
    expect(rest.recipients.length).toBe(everyone.total - 1);
    expect(rest.recipients.map((r: { email: string }) => r.email)).not.toContain(everyone.recipients[0].email);
    const nobody = (await api.inject({ url: '/api/recipients?prefix=NOBODY@', headers: auth })).json();
    expect(nobody.recipients.map((r: { email: string }) => r.email)).toEqual([BAD]);
  });

  it('shows a message with every recipient\'s attempts and the full upstream reply', async () => {
    const res = await api.inject({ url: `/api/messages/${queueId}`, headers: auth });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.message).toMatchObject({ queueId, from: 'shop@example.com', status: 'done' });
    const bad = body.recipients.find((r: { rcpt: string }) => r.rcpt === BAD);
    expect(bad.status).toBe('bounced');
    expect(bad.attemptLog).toHaveLength(1);
    expect(bad.attemptLog[0]).toMatchObject({ type: 'attempt', code: 550, enhanced: '5.1.1', reason: 'userunknown', category: 'Invalid Email', stage: 'rcpt' });
    expect(bad.attemptLog[0].response).toContain('User unknown in virtual mailbox table');
    expect(bad.attemptLog[0].description).toContain('bounced');
    const good = body.recipients.find((r: { rcpt: string }) => r.rcpt === GOOD);
    expect(good.status).toBe('delivered');
    expect(body.reports).toEqual([]);
    const missing = await api.inject({ url: '/api/messages/NOPE', headers: auth });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('message_not_found');
  });

  it('shows the recipient with flag, reason, category, why and what to do', async () => {
    const res = await api.inject({ url: `/api/recipients/${BAD}`, headers: auth });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.recipient).toMatchObject({ email: BAD, invalid: true, reason: 'userunknown', category: 'Invalid Email', lastStatus: 'bounced' });
    expect(body.info.why).toMatch(/does not exist/);
    expect(body.info.todo).toMatch(/typos/);
    expect(body.suppression).toEqual({ suppressed: false, since: null, reason: null });
    expect(body.messages[0]).toMatchObject({ queueId, status: 'bounced' });
    expect(body.history.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(['attempt', 'flag']));
    const upper = await api.inject({ url: `/api/recipients/${BAD.toUpperCase()}`, headers: auth });
    expect(upper.statusCode).toBe(200);
    const flagged = (await api.inject({ url: '/api/recipients?flagged=true', headers: auth })).json();
    expect(flagged.recipients.map((r: { email: string }) => r.email)).toEqual([BAD]);
    expect((await api.inject({ url: '/api/recipients/who@nowhere.example', headers: auth })).statusCode).toBe(404);
  });

  it('clears the flag, and suppresses and unsuppresses', async () => {
    const cleared = await api.inject({ method: 'POST', url: `/api/recipients/${BAD}/clear`, headers: auth });
    expect(cleared.statusCode).toBe(200);
    expect(cleared.json()).toMatchObject({ email: BAD, invalid: false, clearedBy: 'operator' });
    expect((await app.store.getRecipient(BAD))!.invalid).toBe(false);
    expect((await api.inject({ url: '/api/recipients?flagged=true', headers: auth })).json().total).toBe(0);

    const sup = await api.inject({ method: 'POST', url: `/api/recipients/${GOOD}/suppress`, headers: auth, payload: { reason: 'asked us to stop' } });
    expect(sup.json()).toMatchObject({ suppressed: true, suppressedReason: 'asked us to stop' });
    const view = (await api.inject({ url: `/api/recipients/${GOOD}`, headers: auth })).json();
    expect(view.suppression).toMatchObject({ suppressed: true, reason: 'asked us to stop' });
    expect((await api.inject({ url: '/api/recipients?suppressed=true', headers: auth })).json().total).toBe(1);
    // Submission now refuses it.
    await expect(send(app.ports.submission, { to: GOOD })).rejects.toThrow(/suppression list/);
    const unsup = await api.inject({ method: 'POST', url: `/api/recipients/${GOOD}/unsuppress`, headers: auth });
    expect(unsup.json()).toMatchObject({ suppressed: false });
    const types = (await app.store.eventsForRecipient(GOOD)).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['suppress', 'unsuppress']));
    // A suppress without a body works too.
    expect((await api.inject({ method: 'POST', url: `/api/recipients/new@example.org/suppress`, headers: auth })).json().suppressed).toBe(true);
  });

  it('resends the messages that did not get through to an address', async () => {
    up.opts.rcpt = {};
    const res = await api.inject({ method: 'POST', url: `/api/recipients/${BAD}/resend`, headers: auth });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.failed).toEqual([]);
    expect(body.resent).toHaveLength(1);
    expect(body.resent[0].from).toBe(queueId);
    const newId = body.resent[0].queueId as string;
    await waitFor(async () => (await app.store.getMessage(newId))?.status === 'done');
    expect((await app.store.getMessage(newId))!.rcpts).toEqual([expect.objectContaining({ rcpt: BAD, status: 'delivered' })]);
  });

  it('describes itself in /api/openapi.json', async () => {
    const doc = (await api.inject({ url: '/api/openapi.json', headers: auth })).json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/messages', '/api/messages/{queueId}', '/api/recipients/{email}', '/api/check-address', '/api/events/stream']));
    expect(doc.components.schemas.Recipient).toBeDefined();
  });
});
