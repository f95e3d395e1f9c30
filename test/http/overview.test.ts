// The overview's aggregates, category filters and CSV export, against a store seeded with known traffic.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATEGORIES } from '../../src/classify/index.js';
import { csvCell } from '../../src/http/csv.js';
import type { Rebound } from '../../src/main.js';
import { cleanup, startRebound, tempDir, testConfig } from '../helpers/rebound.js';
import { expectedCats, expectedHour, HOUR, HOURS, PLAN, seedOverview, type Seeded } from '../helpers/seed-overview.js';
import { Upstream } from '../helpers/upstream.js';
import { apiFor, auth } from './harness.js';

describe('overview and list exports', () => {
  let dir: string;
  let up: Upstream;
  let app: Rebound;
  let api: FastifyInstance;
  let seeded: Seeded;
  const get = async (url: string) => {
    const res = await api.inject({ url, headers: auth });
    expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
    return res;
  };

  beforeAll(async () => {
    dir = tempDir();
    up = await new Upstream().start();
    app = await startRebound(testConfig(dir, up.port));
    seeded = await seedOverview(app.store);
    api = await apiFor(app);
  });
  afterAll(async () => {
    await api.close();
    await app.stop(2_000);
    await up.stop();
    cleanup(dir);
  });

  it('counts each hour as seeded: volumes, categories, complaints, flags, integration errors', async () => {
    const o = (await get('/api/stats/overview?since=24h&bucket=hour')).json();
    expect(o.bucketMs).toBe(HOUR);
    expect(o.categories).toEqual([...CATEGORIES]);
    const byStart = new Map(o.series.map((b: { start: number }) => [b.start, b]));
    for (let i = 0; i < HOURS; i++) {
      const b = byStart.get(seeded.base + i * HOUR) as Record<string, unknown>;
      expect(b, `hour ${i}`).toBeDefined();
      expect(b.byCategory, `hour ${i}`).toEqual(expectedCats(i));
      expect(b, `hour ${i}`).toMatchObject(expectedHour(i));
    }
    // Every other bucket is empty.
    const others = o.series.filter((b: { start: number }) => b.start < seeded.base);
    expect(others.length).toBeGreaterThan(10);
    for (const b of others) expect(b.accepted + b.delivered + b.bounced + b.deferred).toBe(0);

    const total = (k: keyof ReturnType<typeof expectedHour>) => PLAN.reduce((a, _p, i) => a + expectedHour(i)[k], 0);
    expect(o.totals).toMatchObject({ accepted: total('accepted'), delivered: total('delivered'), bounced: total('bounced'), complaints: total('complaints'), flagged: total('flagged'), integrationErrors: total('integrationErrors') });
    expect(o.complaintRate).toBeCloseTo(total('complaints') / total('delivered'), 10);
    expect(o.complaintLines).toEqual([0.001, 0.003]);
    expect(o.topDomains[0]).toEqual({ domain: 'mail.example.com', failures: 9 }); // 9 Invalid Email; complaints are not failures
    expect(o.topHosts[0]).toEqual({ host: 'mx1.mail.example.com', failures: 9 });
    expect(o.integrationCauses).toEqual([{ cause: 'tls', count: 2 }]);
  });

  it('puts day buckets on the caller\'s zone and refuses a bad range', async () => {
    const o = (await get('/api/stats/overview?since=3d&bucket=day&utcOffset=120')).json();
    for (const b of o.series) expect((b.start + 120 * 60_000) % 86_400_000).toBe(0);
    const all = PLAN.reduce((a, _p, i) => a + expectedHour(i).delivered, 0);
    expect(o.series.reduce((a: number, b: { delivered: number }) => a + b.delivered, 0)).toBe(all);
    for (const url of ['/api/stats/overview?since=400d&bucket=hour', '/api/stats/overview?since=soon', '/api/stats/overview?since=1h&until=2h']) {
      expect((await api.inject({ url, headers: auth })).statusCode, url).toBe(400);
    }
  });

  it('lists each message recipient with what happened in that message (Spam after a delivery, not a green check only)', async () => {
    const spam = seeded.sample.Spam!;
    const m = (await get(`/api/messages?recipient=${encodeURIComponent(spam)}`)).json().messages;
    expect(m[0].rcpts[0]).toMatchObject({ rcpt: spam, outcomeCategory: 'Spam', outcomeReason: 'feedback' });
    const ooto = seeded.sample.Autoresponder!;
    expect((await get(`/api/messages?recipient=${encodeURIComponent(ooto)}`)).json().messages[0].rcpts[0].outcomeCategory).toBe('Autoresponder');

    // Deferred, then delivered: the delivery came last, so no category for this message.
    const t = Date.now() - 5_000;
    const rcpt = 'Later@Full.Example';
    await app.store.putMessage({ queueId: 'QLATER', messageId: null, from: 'a@example.com', user: null, clientIp: '127.0.0.1', size: 10, receivedAt: t, nextAttemptAt: null, status: 'done',
      rcpts: [{ rcpt, status: 'delivered', attempts: 2, lastCode: 250, lastEnhanced: '2.0.0', lastResponse: '250 ok', lastMx: null, updatedAt: t }] });
    const base = { queueId: 'QLATER', messageId: null, rcpt, stage: 'rcpt', enhanced: null, mx: null, ip: null, tls: false, startedAt: t, finishedAt: t } as const;
    await app.store.appendEvents([{ ...base, type: 'attempt', id: 'later-1', time: t, attempt: 1, status: 'deferred', code: 452, response: '452 full', reason: 'mailboxfull', category: 'Mailbox Error', hard: false }]);
    await app.store.appendEvents([{ ...base, type: 'attempt', id: 'later-2', time: t + 1, attempt: 2, status: 'delivered', code: 250, response: '250 ok' }]);
    expect((await get('/api/messages?recipient=Later%40Full.Example')).json().messages[0].rcpts[0]).toMatchObject({ status: 'delivered', outcomeCategory: null });
  });

  it('filters recipients and reports by category', async () => {
    const blocked = (await get('/api/recipients?category=Blocked')).json();
    expect(blocked.total).toBe(3);
    expect(blocked.recipients.every((r: { category: string }) => r.category === 'Blocked')).toBe(true);
    expect((await get('/api/recipients?q=invalid-email')).json().total).toBe(9);
    const spam = (await get('/api/reports?category=Spam&since=24h')).json();
    expect(spam.total).toBe(2);
    expect((await get('/api/reports?category=Autoresponder&since=24h')).json().total).toBe(5);
    expect((await api.inject({ url: '/api/recipients?category=Nope', headers: auth })).statusCode).toBe(400);
    const some = [seeded.sample.Blocked!, seeded.sample.Spam!.toUpperCase(), 'nobody@nowhere.example'];
    const looked = (await get(`/api/recipients?emails=${encodeURIComponent(some.join(','))}`)).json();
    expect(looked.recipients.map((r: { category: string }) => r.category).sort()).toEqual(['Blocked', 'Spam']);
  });

  it('exports a filtered list as CSV', async () => {
    const res = await get('/api/recipients?category=Invalid%20Email&format=csv');
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toBe('attachment; filename="recipients.csv"');
    const lines = res.body.trimEnd().split('\r\n');
    expect(lines[0]).toMatch(/^email,category,reason,flagged/);
    expect(lines).toHaveLength(1 + 9);
    expect(lines.slice(1).every((l) => /^invalid-email-\d+@mail\.example\.com,Invalid Email,userunknown,true,/.test(l))).toBe(true);

    const msgs = (await get('/api/messages?category=Blocked&format=csv')).body.trimEnd().split('\r\n');
    expect(msgs).toHaveLength(1 + 3);
    expect(msgs[1]).toMatch(/,blocked-\d+@corp\.example\.org,bounced,Blocked,blocked,/);
    const reports = (await get('/api/reports?category=Spam&since=24h&format=csv')).body.trimEnd().split('\r\n');
    expect(reports).toHaveLength(1 + 2);
  });

  it('quotes CSV cells and defuses formulas in outside text', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvCell('-1')).toBe("'-1");
    expect(csvCell(null)).toBe('');
    expect(csvCell(3)).toBe('3');
  });
});
