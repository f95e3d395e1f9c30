// Over a real socket: auth, the live event stream, metrics; and the read-only views.
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemMxResolver } from '../../src/delivery/route.js';
import type { HttpServer } from '../../src/http/server.js';
import { diagnoser, reconcileRunner } from '../../src/http/wiring.js';
import type { Rebound } from '../../src/main.js';
import { ReboundMetrics } from '../../src/metrics/index.js';
import { DnsStub } from '../helpers/dns-stub.js';
import { cleanup, send, startRebound, tempDir, testConfig, waitFor } from '../helpers/rebound.js';
import { Upstream } from '../helpers/upstream.js';
import { apiFor, auth, listenFor, TOKEN } from './harness.js';

interface SseMessage { event: string; id: string; data: string }

/** Opens the event stream and collects messages until `until` says stop. */
function readStream(url: string, headers: Record<string, string>, until: (m: SseMessage[], comments: string[]) => boolean): Promise<{ status: number; messages: SseMessage[]; comments: string[]; contentType: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers }, (res) => {
      const messages: SseMessage[] = [];
      const comments: string[] = [];
      let buf = '';
      const done = () => {
        req.destroy();
        resolve({ status: res.statusCode!, messages, comments, contentType: String(res.headers['content-type']) });
      };
      if (res.statusCode !== 200) return res.resume().on('end', done);
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const m: SseMessage = { event: 'message', id: '', data: '' };
          let isMessage = false;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else if (line.startsWith('event: ')) { m.event = line.slice(7); isMessage = true; }
            else if (line.startsWith('id: ')) m.id = line.slice(4);
            else if (line.startsWith('data: ')) m.data += line.slice(6);
          }
          if (isMessage) messages.push(m);
        }
        if (until(messages, comments)) done();
      });
      res.on('error', reject);
    });
    req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(e)));
  });
}

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    }).on('error', reject);
  });
}

describe('HTTP over a real socket', () => {
  let dir: string;
  let up: Upstream;
  let app: Rebound;
  let server: HttpServer;
  let metrics: ReboundMetrics;
  let dns: DnsStub;

  beforeAll(async () => {
    dir = tempDir();
    up = await new Upstream({ rcpt: { nobody: '550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown in virtual mailbox table' } }).start();
    app = await startRebound(testConfig(dir, up.port));
    dns = await new DnsStub({
      'example.net': { mx: [[20, 'mx2.example.net'], [10, 'mx1.example.net']] },
      'nomail.example': { mx: [[0, '']] },
      'gone.example': { nxdomain: true },
    }).start();
    metrics = new ReboundMetrics({ store: app.store, queue: app.delivery, clock: { now: () => Date.now() }, processMetrics: false });
    metrics.start();
    app.onAccepted((e) => metrics.accepted(e));
    server = await listenFor(app, {
      metrics, resolver: systemMxResolver([dns.server]), heartbeatMs: 50,
      diagnose: diagnoser(app.store), reconcile: reconcileRunner(app.store),
      readiness: () => ({ store: true, submission: app.ports.submission > 0 }),
    });
  });
  afterAll(async () => {
    await server.close();
    metrics.stop();
    await app.stop(2_000);
    await up.stop();
    dns.stop();
    cleanup(dir);
  });

  it('listens on loopback and refuses /api without the token', async () => {
    expect(server.host).toBe('127.0.0.1');
    expect((await get(`${server.url}/healthz`)).status).toBe(200);
    expect(JSON.parse((await get(`${server.url}/readyz`)).body)).toEqual({ status: 'ready', checks: { store: true, submission: true } });
    const refused = await get(`${server.url}/api/recipients?flagged=true`);
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.body)).toMatchObject({ error: { code: 'unauthorized' } });
    expect((await get(`${server.url}/api/recipients?flagged=true`, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await get(`${server.url}/api/recipients?flagged=true`, { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
  });

  it('streams live events: a delivery arrives as an attempt event, with heartbeats between', async () => {
    const streamed = readStream(`${server.url}/api/events/stream?types=attempt`, auth, (m, c) => m.some((x) => JSON.parse(x.data).status === 'delivered') && c.includes('heartbeat'));
    await new Promise((r) => setTimeout(r, 100)); // subscribed before the mail goes out
    await send(app.ports.submission, { to: 'stream@example.org' });
    const { status, messages, comments, contentType } = await streamed;
    expect(status).toBe(200);
    expect(contentType).toMatch(/^text\/event-stream/);
    expect(comments).toContain('heartbeat');
    const delivered = messages.map((m) => ({ ...m, event: m.event, json: JSON.parse(m.data) })).find((m) => m.json.status === 'delivered')!;
    expect(delivered.event).toBe('attempt');
    expect(delivered.json).toMatchObject({ type: 'attempt', rcpt: 'stream@example.org', code: 250 });
    expect(delivered.id).toBe(delivered.json.id);
    expect(messages.every((m) => m.event === 'attempt')).toBe(true);
  });

  it('ends open streams when the server closes', async () => {
    const other = await listenFor(app, { heartbeatMs: 10_000 });
    let ended = false;
    const streamed = readStream(`${other.url}/api/events/stream`, auth, (_m, c) => c.includes('connected'));
    await streamed;
    const open = new Promise<void>((resolve) => {
      http.get(`${other.url}/api/events/stream`, { headers: auth }, (res) => {
        res.resume();
        res.on('end', () => { ended = true; resolve(); });
        res.once('data', () => void other.close());
      });
    });
    await open;
    expect(ended).toBe(true);
  });

  it('refuses the stream without a token', async () => {
    const r = await readStream(`${server.url}/api/events/stream`, {}, () => true);
    expect(r.status).toBe(401);
  });

  it('counts deliveries and bounces in /metrics (token needed unless metricsPublic)', async () => {
    await send(app.ports.submission, { to: ['m1@example.org', 'nobody@example.org'] });
    await waitFor(async () => (await app.store.getRecipient('nobody@example.org'))?.invalid);
    expect((await get(`${server.url}/metrics`)).status).toBe(401);
    const res = await get(`${server.url}/metrics`, auth);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    const text = res.body;
    expect(text).toMatch(/^rebound_messages_accepted_total [1-9]/m);
    expect(text).toMatch(/^rebound_delivered_total [2-9]/m);
    expect(text).toMatch(/^rebound_bounced_total\{reason="userunknown",category="Invalid Email",via="smtp"\} 1$/m);
    expect(text).toMatch(/^rebound_delivery_latency_seconds_count [2-9]/m);
    expect(text).toMatch(/^rebound_queue_messages \d+$/m);
    expect(text).toMatch(/^rebound_queue_oldest_age_seconds /m);
    expect(text).toMatch(/^rebound_recipient_changes_total\{change="flag",by="attempt"\} 1$/m);

    const open = await apiFor(app, { metrics, config: { host: '127.0.0.1', port: 0, tokens: [], metricsPublic: true } });
    expect((await open.inject({ url: '/metrics' })).statusCode).toBe(200);
    expect((await open.inject({ url: '/api/messages' })).statusCode).toBe(401); // no tokens configured: the API is closed
    await open.close();
  });

  it('checks addresses: syntax, typo suggestion, MX from DNS', async () => {
    const check = async (email: string) => JSON.parse((await get(`${server.url}/api/check-address?email=${encodeURIComponent(email)}`, auth)).body);
    const ok = await check('a.person@example.net');
    expect(ok).toMatchObject({ deliverable: true, syntax: { valid: true }, mx: { status: 'ok', hosts: ['mx1.example.net', 'mx2.example.net'] }, suggestion: null });
    const noAt = await check('a.person.example.net');
    expect(noAt).toMatchObject({ deliverable: false, syntax: { valid: false, error: 'the address has no "@"' }, mx: null });
    expect((await check('two..dots@example.net')).syntax.error).toMatch(/two dots/);
    expect((await check('x@localhost')).syntax.error).toMatch(/no dot/);
    const typo = await check('jane@gmial.com');
    expect(typo.suggestion).toBe('jane@gmail.com');
    expect((await check('jane@hotmial.com')).suggestion).toBe('jane@hotmail.com');
    expect((await check('jane@example.con')).suggestion).toBe('jane@example.com');
    expect((await check('jane@gmail.com')).suggestion).toBeNull();
    expect(await check('x@nomail.example')).toMatchObject({ deliverable: false, mx: { status: 'null-mx' } });
    expect(await check('x@gone.example')).toMatchObject({ deliverable: false, mx: { status: 'nxdomain' } });
    const known = await check('nobody@example.org');
    expect(known.known).toMatchObject({ invalid: true, reason: 'userunknown' });
    expect((await get(`${server.url}/api/check-address`, auth)).status).toBe(400);
  });

  it('groups integration errors by cause, lists unmatched reports, diagnoses', async () => {
    const now = Date.now();
    for (const [cause, mx] of [['tls', 'smtp.a'], ['tls', 'smtp.b'], ['auth', 'smtp.a']] as const) {
      await app.store.appendEvents([{ type: 'integration', id: randomUUID(), time: now, queueId: 'Q1', cause, mx, code: 454, response: `454 4.7.0 ${cause} failed`, rcpts: ['x@example.org'] }]);
    }
    await app.store.appendEvents([{
      type: 'report', id: randomUUID(), time: now, reportId: 'r1', kind: 'dsn', queueId: null, rcpt: null, verified: false, matchedBy: null,
      unmatchedWhy: 'bad VERP signature', status: '5.1.1', replycode: '550', reason: 'userunknown', category: 'Invalid Email', hard: true, diagnostic: 'no such user', decodedby: 'rfc3464',
    }]);
    const ie = JSON.parse((await get(`${server.url}/api/integration-errors?since=1h`, auth)).body);
    expect(ie.total).toBe(3);
    expect(ie.causes.map((c: { cause: string; count: number }) => [c.cause, c.count])).toEqual([['tls', 2], ['auth', 1]]);
    expect(ie.causes[0].hosts.sort()).toEqual(['smtp.a', 'smtp.b']);
    const reports = JSON.parse((await get(`${server.url}/api/reports?matched=false`, auth)).body);
    expect(reports.total).toBe(1);
    expect(reports.reports[0]).toMatchObject({ unmatchedWhy: 'bad VERP signature', verified: false });
    const diag = await get(`${server.url}/api/diagnose?window=1h`, auth);
    expect(diag.status).toBe(200);
    expect(JSON.parse(diag.body)).toMatchObject({ windowMs: 3_600_000, findings: expect.any(Array) });
  });

  it('reconciles an uploaded log, and shows webhook state', async () => {
    const req = (body: string) => new Promise<{ status: number; body: string }>((resolve, reject) => {
      const r = http.request(`${server.url}/api/reconcile?format=postfix&dryRun=true&utcOffset=0`, { method: 'POST', headers: { ...auth, 'content-type': 'text/plain' } }, (res) => {
        let b = '';
        res.on('data', (c: Buffer) => (b += c));
        res.on('end', () => resolve({ status: res.statusCode!, body: b }));
      });
      r.on('error', reject);
      r.end(body);
    });
    const res = await req('Jan  1 00:00:00 mx postfix/qmgr[1]: ABC: removed\n');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ dryRun: true, files: [expect.objectContaining({ format: 'postfix', lines: 1 })] });
    expect((await req('')).status).toBe(400);
    expect(JSON.parse((await get(`${server.url}/api/webhooks`, auth)).body)).toEqual({ endpoints: [] });
  });

  it('answers 501 for what is not wired', async () => {
    const bare = await apiFor(app, { resender: undefined });
    expect((await bare.inject({ url: '/api/diagnose', headers: auth })).statusCode).toBe(501);
    expect((await bare.inject({ method: 'POST', url: '/api/reconcile', headers: { ...auth, 'content-type': 'text/plain' }, payload: 'x' })).statusCode).toBe(501);
    expect((await bare.inject({ method: 'POST', url: '/api/recipients/nobody@example.org/resend', headers: auth })).statusCode).toBe(501);
    expect((await bare.inject({ url: '/metrics', headers: auth })).statusCode).toBe(404);
    await bare.close();
  });
});
