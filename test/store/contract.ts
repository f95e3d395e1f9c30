// The contract every store backend keeps (src/store/types.ts, AsyncStore). A backend's test file
// calls describeStoreContract() with a factory for a fresh, opened store; the suite writes through
// the interface only and reads back through it, so it says nothing about how a backend keeps data.
// Expectations are written out by hand over small fixtures, so a wrong filter, order or cursor fails.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Category, Reason } from '../../src/classify/index.js';
import { emptyRecipient } from '../../src/recipients/reduce.js';
import { BadCursorError } from '../../src/store/bad-cursor.js';
import type { AsyncStore, MessageQuery, Page, RecipientQuery } from '../../src/store/types.js';
import type { MessageRecord, MessageRecipient, RecipientEvent, RecipientRecord, RecipientStatus } from '../../src/types.js';

export interface ContractHandle {
  /** An opened, empty store. */
  store: AsyncStore;
  /** Closes the store (if open) and opens a new one on the same data. */
  reopen: () => Promise<AsyncStore>;
  /** Closes whatever is open and removes the data. */
  cleanup: () => Promise<void>;
}

/** Times near now: a backend may prune what lies past its retention. */
const T0 = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;

let seq = 0;
const uid = (p: string) => `${p}-${++seq}-${Math.random().toString(36).slice(2, 8)}`;

function rcptOf(rcpt: string, status: RecipientStatus, at: number): MessageRecipient {
  return { rcpt, status, attempts: status === 'queued' ? 0 : 1, lastCode: null, lastEnhanced: null, lastResponse: null, lastMx: null, updatedAt: at };
}

function message(queueId: string, receivedAt: number, rcpts: Array<[string, RecipientStatus]>, over: Partial<MessageRecord> = {}): MessageRecord {
  const queued = rcpts.some(([, s]) => s === 'queued' || s === 'deferred');
  return {
    queueId, messageId: `${queueId}@contract.test`, from: 'sender@contract.test', user: 'alice', clientIp: '127.0.0.1', size: 1234,
    receivedAt, nextAttemptAt: queued ? receivedAt + 60_000 : null, rcpts: rcpts.map(([r, s]) => rcptOf(r, s, receivedAt)),
    status: queued ? 'queued' : 'done', ...over,
  };
}

function attempt(queueId: string, rcpt: string, status: Exclude<RecipientStatus, 'queued'>, time: number, reason?: Reason, category?: Category): RecipientEvent {
  return {
    type: 'attempt', id: uid('ev'), time, queueId, messageId: null, rcpt, attempt: 1, status, stage: 'eod',
    code: status === 'delivered' ? 250 : 550, enhanced: null, response: `${status} reply`, mx: 'mx.contract.test', ip: null, tls: false,
    startedAt: time - 10, finishedAt: time, ...(reason ? { reason } : {}), ...(category ? { category } : {}),
    ...(status === 'delivered' ? {} : { hard: status !== 'deferred' }),
  };
}

function report(queueId: string, rcpt: string, time: number, reason: Reason, category: Category): RecipientEvent {
  return {
    type: 'report', id: uid('ev'), time, reportId: uid('rep'), kind: 'dsn', queueId, rcpt, verified: true, matchedBy: 'verp',
    status: '5.0.0', replycode: '550', reason, category, hard: true, diagnostic: 'contract report', decodedby: 'contract',
  };
}

function flagEvent(rcpt: string, time: number, queueId: string | null = null, reason: Reason | null = 'userunknown'): RecipientEvent {
  return { type: 'flag', id: uid('ev'), time, rcpt, reason, queueId, by: 'attempt' };
}

function recipient(email: string, over: Partial<RecipientRecord> = {}): RecipientRecord {
  return { ...emptyRecipient(email), ...over };
}

const ids = (ms: MessageRecord[]) => ms.map((m) => m.queueId);
const emails = (rs: RecipientRecord[]) => rs.map((r) => r.email);

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function eventually<T>(fn: () => T | undefined | false, what: string, timeoutMs = 3_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Every page of a message query, following `next`; `between` runs after each page. */
async function allPages<T>(read: (cursor: string | null) => Promise<Page<T>>, between?: () => Promise<void>): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const p = await read(cursor);
    items.push(...p.items);
    pages++;
    cursor = p.next;
    if (between) await between();
    if (pages > 10_000) throw new Error('cursor never ends');
  } while (cursor);
  return { items, pages };
}

export function describeStoreContract(name: string, makeStore: () => Promise<ContractHandle>): void {
  describe(`store contract: ${name}`, () => {
    let h: ContractHandle;
    let store: AsyncStore;
    beforeEach(async () => {
      h = await makeStore();
      store = h.store;
    });
    afterEach(async () => {
      await h.cleanup();
    });
    const reopen = async () => (store = await h.reopen());

    describe('values, not references', () => {
      it('a message written and then changed by the caller stays as written; a returned one changed changes nothing', async () => {
        const m = message('Q-val', T0, [['a@val.test', 'queued']]);
        await store.putMessage(m);
        m.status = 'done';
        m.rcpts[0]!.status = 'bounced';
        m.rcpts.push(rcptOf('x@val.test', 'queued', T0));
        const got = (await store.getMessage('Q-val'))!;
        expect(got.status).toBe('queued');
        expect(got.rcpts.map((r) => [r.rcpt, r.status])).toEqual([['a@val.test', 'queued']]);
        got.status = 'done';
        got.rcpts[0]!.status = 'delivered';
        const listed = (await store.pageMessages({}, { limit: 10 })).items[0]!;
        expect(listed.status).toBe('queued');
        expect(listed.rcpts[0]!.status).toBe('queued');
        listed.rcpts[0]!.status = 'expired';
        const byId = (await store.findByMessageId('Q-val@contract.test'))!;
        expect(byId.rcpts[0]!.status).toBe('queued');
        byId.rcpts.length = 0;
        expect((await collect(store.scanMessages({})))[0]!.rcpts).toHaveLength(1);
        expect((await store.getMessage('Q-val'))!.rcpts[0]!.status).toBe('queued');
      });

      it('a recipient record (with its nested awaiting) is a copy both ways, and so is what updateRecipient hands over', async () => {
        const r = recipient('val@val.test', { invalid: true, awaiting: { queueId: 'Q-1', since: T0 } });
        await store.putRecipient(r);
        r.invalid = false;
        r.awaiting!.queueId = 'changed-after-put';
        const got = (await store.getRecipient('val@val.test'))!;
        expect(got.invalid).toBe(true);
        expect(got.awaiting).toEqual({ queueId: 'Q-1', since: T0 });
        got.awaiting!.queueId = 'changed-after-get';
        got.deliveredCount = 99;
        const listed = (await store.pageRecipients({}, { limit: 10 })).items[0]!;
        expect(listed.awaiting!.queueId).toBe('Q-1');
        expect(listed.deliveredCount).toBe(0);
        listed.awaiting!.queueId = 'changed-after-list';
        // A change that edits `prev` in place and then leaves the record as it is changes nothing.
        await store.updateRecipient('val@val.test', (prev) => {
          prev!.deliveredCount = 7;
          prev!.awaiting!.queueId = 'changed-inside-update';
          return { record: null };
        });
        const written = (await store.updateRecipient('val@val.test', (prev) => ({ record: { ...prev!, failedCount: prev!.failedCount + 1 } })))!;
        expect(written.awaiting!.queueId).toBe('Q-1');
        expect(written.deliveredCount).toBe(0);
        written.failedCount = 50;
        written.awaiting!.since = 0;
        const after = (await store.getRecipient('val@val.test'))!;
        expect(after).toMatchObject({ failedCount: 1, deliveredCount: 0, awaiting: { queueId: 'Q-1', since: T0 } });
      });

      it('events, appended or read back, are copies', async () => {
        const e = attempt('Q-ev', 'ev@val.test', 'bounced', T0, 'userunknown', 'Invalid Email');
        const integ: RecipientEvent = { type: 'integration', id: uid('ev'), time: T0 + 1, queueId: 'Q-ev', cause: 'connection', mx: null, code: null, response: 'refused', rcpts: ['ev@val.test'] };
        await store.appendEvents([e, integ]);
        (e as { response: string }).response = 'changed-after-append';
        (integ as { rcpts: string[] }).rcpts.push('other@val.test');
        const forRcpt = await store.eventsForRecipient('ev@val.test');
        expect(forRcpt.map((x) => x.id)).toEqual([e.id, integ.id]);
        expect((forRcpt[0] as { response: string }).response).toBe('bounced reply');
        expect((forRcpt[1] as { rcpts: string[] }).rcpts).toEqual(['ev@val.test']);
        (forRcpt[0] as { response: string }).response = 'changed-after-read';
        (forRcpt[1] as { rcpts: string[] }).rcpts.length = 0;
        const forMsg = await store.eventsForMessage('Q-ev');
        expect((forMsg[0] as { response: string }).response).toBe('bounced reply');
        expect((forMsg[1] as { rcpts: string[] }).rcpts).toEqual(['ev@val.test']);
        (forMsg[0] as { response: string }).response = 'changed-again';
        const since = await collect(store.eventsSince(T0));
        expect((since[0] as { response: string }).response).toBe('bounced reply');
        expect((await store.eventsForRecipient('ev@val.test'))[0]).toMatchObject({ response: 'bounced reply' });
      });
    });

    describe('addresses by addressKey()', () => {
      it('any spelling finds, overwrites and updates one record; the record keeps the address as first written', async () => {
        await store.putRecipient(recipient('Mixed.Case@Example.ORG', { deliveredCount: 1 }));
        for (const spelling of ['mixed.case@example.org', 'MIXED.CASE@EXAMPLE.ORG', ' <Mixed.Case@example.org> ']) {
          expect((await store.getRecipient(spelling))?.email, spelling).toBe('Mixed.Case@Example.ORG');
        }
        expect(await store.getRecipient('mixed.case@example.net')).toBeUndefined();
        await store.putRecipient(recipient('Mixed.Case@Example.ORG', { deliveredCount: 2 }));
        const seen = await store.updateRecipient('mixed.CASE@example.org', (prev) => ({ record: { ...prev!, deliveredCount: prev!.deliveredCount + 1 } }));
        expect(seen).toMatchObject({ email: 'Mixed.Case@Example.ORG', deliveredCount: 3 });
        expect(await store.countRecipients({})).toBe(1);
        expect((await store.getRecipient('mixed.case@example.org'))?.deliveredCount).toBe(3);
      });

      it('events and message filters match any spelling of a recipient', async () => {
        await store.putMessage(message('Q-case', T0, [['Some.One@Example.ORG', 'bounced']]));
        await store.appendEvents([attempt('Q-case', 'Some.One@Example.ORG', 'bounced', T0 + 1, 'userunknown', 'Invalid Email')]);
        expect(await store.eventsForRecipient('some.one@example.org')).toHaveLength(1);
        expect(await store.eventsForRecipient('SOME.ONE@EXAMPLE.ORG')).toHaveLength(1);
        expect(ids((await store.pageMessages({ rcpt: 'some.one@EXAMPLE.org' }, { limit: 10 })).items)).toEqual(['Q-case']);
        expect(ids((await store.pageMessages({ rcpt: 'SOME.ONE@example.org', rcptStatus: 'bounced', failedReason: 'userunknown' }, { limit: 10 })).items)).toEqual(['Q-case']);
        expect(await store.countMessages({ rcpt: 'some.two@example.org' })).toBe(0);
      });
    });

    describe('durability', () => {
      it('every write whose promise resolved is there after a reopen', async () => {
        await store.putMessage(message('Q-d1', T0, [['d@dur.test', 'queued']]));
        await store.putMessage(message('Q-d1', T0, [['d@dur.test', 'delivered']]));
        await store.putMessage(message('Q-d2', T0 + 1, [['e@dur.test', 'deferred']]));
        await store.putRecipient(recipient('Put@Dur.test', { suppressed: true, suppressedAt: T0, suppressedReason: 'operator' }));
        await store.updateRecipient('Upd@Dur.test', () => ({ record: recipient('Upd@Dur.test', { invalid: true, flaggedAt: T0, category: 'Invalid Email' }), events: [flagEvent('Upd@Dur.test', T0 + 2)] }));
        await store.appendEvents([attempt('Q-d1', 'd@dur.test', 'delivered', T0 + 3)]);
        await store.durable();
        await reopen();
        expect((await store.getMessage('Q-d1'))?.status).toBe('done');
        expect((await store.getMessage('Q-d1'))?.rcpts[0]?.status).toBe('delivered');
        expect((await store.getMessage('Q-d2'))?.status).toBe('queued');
        expect(await store.getRecipient('put@dur.test')).toMatchObject({ email: 'Put@Dur.test', suppressed: true, suppressedReason: 'operator' });
        expect(await store.getRecipient('upd@dur.test')).toMatchObject({ invalid: true, category: 'Invalid Email' });
        expect((await store.eventsForRecipient('upd@dur.test')).map((e) => e.type)).toEqual(['flag']);
        expect((await store.eventsForMessage('Q-d1')).map((e) => e.type)).toEqual(['attempt']);
        expect(await store.countRecipients({ invalid: true })).toBe(1);
        expect(await store.countRecipients({ suppressed: true })).toBe(1);
        expect(await store.countMessages({ status: 'queued' })).toBe(1);
      });

      it('findByMessageId finds the newest message with that Message-ID, with or without angle brackets', async () => {
        await store.putMessage(message('Q-old', T0, [['a@mid.test', 'queued']], { messageId: 'same@mid.test' }));
        await store.putMessage(message('Q-new', T0 + 5, [['a@mid.test', 'queued']], { messageId: 'same@mid.test' }));
        // Updating the older one does not make it the answer.
        await store.putMessage(message('Q-old', T0, [['a@mid.test', 'delivered']], { messageId: 'same@mid.test' }));
        expect((await store.findByMessageId('same@mid.test'))?.queueId).toBe('Q-new');
        expect((await store.findByMessageId('<same@mid.test>'))?.queueId).toBe('Q-new');
        expect(await store.findByMessageId('other@mid.test')).toBeUndefined();
        expect(await store.getMessage('Q-none')).toBeUndefined();
        await reopen();
        expect((await store.findByMessageId('same@mid.test'))?.queueId).toBe('Q-new');
      });
    });

    describe('message queries', () => {
      // m1..m8, one second apart; lists are newest first. Events tie reasons to (message, recipient).
      const t = (i: number) => T0 + i * 1000;
      beforeEach(async () => {
        const msgs = [
          message('m1', t(1), [['a@x.test', 'delivered']]),
          message('m2', t(2), [['B@x.test', 'bounced']]),
          message('m3', t(3), [['a@x.test', 'deferred'], ['c@y.test', 'delivered']]),
          message('m4', t(4), [['c@y.test', 'bounced']]),
          message('m5', t(5), [['a@x.test', 'delivered'], ['B@x.test', 'bounced']]),
          message('m6', t(6), [['d@z.test', 'queued']]),
          message('m7', t(7), [['a@x.test', 'expired']]),
          message('m8', t(8), [['c@y.test', 'delivered']]),
        ];
        await Promise.all(msgs.map((m) => store.putMessage(m)));
        await store.appendEvents([
          attempt('m1', 'a@x.test', 'delivered', t(1) + 1, 'delivered'),
          attempt('m2', 'b@X.test', 'bounced', t(2) + 1, 'userunknown', 'Invalid Email'),
          attempt('m3', 'a@x.test', 'deferred', t(3) + 1, 'mailboxfull', 'Mailbox Error'),
          attempt('m3', 'c@y.test', 'delivered', t(3) + 2),
          report('m4', 'c@y.test', t(4) + 1, 'blocked', 'Blocked'),
          attempt('m5', 'a@x.test', 'delivered', t(5) + 1),
          attempt('m5', 'B@x.test', 'bounced', t(5) + 2, 'userunknown', 'Invalid Email'),
          report('m5', 'a@x.test', t(5) + 3, 'filtered', 'Blocked'),
          // Only attempts and reports count as failures: a flag event's reason does not.
          flagEvent('d@z.test', t(6) + 1, 'm6', 'hasmoved'),
          attempt('m7', 'a@x.test', 'expired', t(7) + 1, 'expired', 'Not Delivered'),
          attempt('m8', 'c@y.test', 'deferred', t(8) + 1, 'mailboxfull', 'Mailbox Error'),
          attempt('m8', 'c@y.test', 'delivered', t(8) + 2),
          // A reason on an event of no stored message ties to nothing.
          attempt('ghost', 'a@x.test', 'bounced', t(8) + 3, 'hasmoved', 'Invalid Email'),
        ]);
      });

      const cases: Array<[string, MessageQuery, string[]]> = [
        ['no filter', {}, ['m8', 'm7', 'm6', 'm5', 'm4', 'm3', 'm2', 'm1']],
        ['status queued', { status: 'queued' }, ['m6', 'm3']],
        ['status done', { status: 'done' }, ['m8', 'm7', 'm5', 'm4', 'm2', 'm1']],
        ['rcpt (another spelling)', { rcpt: 'A@X.test' }, ['m7', 'm5', 'm3', 'm1']],
        ['rcpt b', { rcpt: 'b@x.test' }, ['m5', 'm2']],
        ['rcptStatus bounced', { rcptStatus: 'bounced' }, ['m5', 'm4', 'm2']],
        ['rcptStatus delivered', { rcptStatus: 'delivered' }, ['m8', 'm5', 'm3', 'm1']],
        ['rcptStatus deferred', { rcptStatus: 'deferred' }, ['m3']],
        ['rcptStatus queued', { rcptStatus: 'queued' }, ['m6']],
        ['rcptStatus of the rcpt given', { rcpt: 'a@x.test', rcptStatus: 'delivered' }, ['m5', 'm1']],
        ['rcptStatus of the rcpt given (none)', { rcpt: 'c@y.test', rcptStatus: 'deferred' }, []],
        ['failedReason', { failedReason: 'userunknown' }, ['m5', 'm2']],
        ['failedReason from deferrals too', { failedReason: 'mailboxfull' }, ['m8', 'm3']],
        ['failedReason of the rcpt given', { failedReason: 'mailboxfull', rcpt: 'C@y.test' }, ['m8']],
        ['failedReason not from a flag event', { failedReason: 'hasmoved' }, []],
        ['failedReason not from a delivery', { failedReason: 'delivered' }, []],
        ['failedCategory', { failedCategory: 'Invalid Email' }, ['m5', 'm2']],
        ['failedCategory from reports', { failedCategory: 'Blocked' }, ['m5', 'm4']],
        ['failedCategory of the rcpt given', { failedCategory: 'Blocked', rcpt: 'a@x.test' }, ['m5']],
        ['failedReason and failedCategory on one event', { failedReason: 'userunknown', failedCategory: 'Blocked' }, []],
        ['failedReason and failedCategory matching', { failedReason: 'filtered', failedCategory: 'Blocked' }, ['m5']],
        ['since (inclusive)', { since: t(4) }, ['m8', 'm7', 'm6', 'm5', 'm4']],
        ['until (exclusive)', { until: t(4) }, ['m3', 'm2', 'm1']],
        ['since and until', { since: t(2), until: t(6) }, ['m5', 'm4', 'm3', 'm2']],
        ['empty window', { since: t(5), until: t(5) }, []],
        ['status, rcpt and since', { status: 'done', rcpt: 'a@x.test', since: t(3) }, ['m7', 'm5']],
        ['status, failedCategory and until', { status: 'done', failedCategory: 'Invalid Email', until: t(5) }, ['m2']],
        ['rcptStatus and failedReason for different recipients', { rcptStatus: 'delivered', failedReason: 'userunknown' }, ['m5']],
        ['everything', { status: 'done', rcpt: 'b@x.test', rcptStatus: 'bounced', failedReason: 'userunknown', failedCategory: 'Invalid Email', since: t(3), until: t(9) }, ['m5']],
      ];

      it.each(cases)('%s: pageMessages, countMessages, scanMessages and withTotal agree', async (_what, q, expected) => {
        const page = await store.pageMessages(q, { limit: 100, withTotal: true });
        expect(ids(page.items)).toEqual(expected);
        expect(page.total).toBe(expected.length);
        expect(page.next).toBeNull();
        expect(await store.countMessages(q)).toBe(expected.length);
        expect(ids(await collect(store.scanMessages(q)))).toEqual(expected);
        const paged = await allPages((cursor) => store.pageMessages(q, { limit: 2, cursor }));
        expect(ids(paged.items)).toEqual(expected);
      });

      it('the filters hold after a reopen (indexes rebuilt or stored)', async () => {
        await reopen();
        for (const [what, q, expected] of cases) expect(ids((await store.pageMessages(q, { limit: 100 })).items), what).toEqual(expected);
      });

      it('a message leaving a state leaves its filter', async () => {
        await store.putMessage(message('m3', t(3), [['a@x.test', 'delivered'], ['c@y.test', 'delivered']]));
        expect(ids((await store.pageMessages({ status: 'queued' }, { limit: 10 })).items)).toEqual(['m6']);
        expect(ids((await store.pageMessages({ rcpt: 'a@x.test', rcptStatus: 'delivered' }, { limit: 10 })).items)).toEqual(['m5', 'm3', 'm1']);
        expect(await store.countMessages({ rcptStatus: 'deferred' })).toBe(0);
      });
    });

    describe('cursor pagination', () => {
      it('follows every message once while newer ones arrive, ties in receivedAt included', async () => {
        const first: MessageRecord[] = [];
        // 30 messages, ten of them at one instant.
        for (let i = 0; i < 30; i++) first.push(message(`p${String(i).padStart(2, '0')}`, i >= 10 && i < 20 ? T0 + 10_000 : T0 + i * 1000, [['p@page.test', i % 3 ? 'delivered' : 'queued']]));
        await Promise.all(first.map((m) => store.putMessage(m)));
        let arrivals = 0;
        const arrive = async () => {
          arrivals++;
          await store.putMessage(message(`new${arrivals}`, T0 + 100_000 + arrivals, [['p@page.test', 'queued']]));
        };
        const all = await allPages((cursor) => store.pageMessages({}, { limit: 7, cursor }), arrive);
        expect(all.pages).toBe(5);
        expect(new Set(ids(all.items)).size).toBe(30);
        expect(ids(all.items).sort()).toEqual(ids(first).sort());
        // Newest first throughout.
        for (let i = 1; i < all.items.length; i++) expect(all.items[i - 1]!.receivedAt).toBeGreaterThanOrEqual(all.items[i]!.receivedAt);
        const queued = await allPages((cursor) => store.pageMessages({ status: 'queued', until: T0 + 100_000 }, { limit: 3, cursor }), arrive);
        expect(ids(queued.items).sort()).toEqual(ids(first.filter((m) => m.status === 'queued')).sort());
        expect(new Set(ids(queued.items)).size).toBe(queued.items.length);
      });

      it('the last page says so; limit is honoured and capped at 1000; withTotal counts every match, not what is left', async () => {
        const ms = Array.from({ length: 1001 }, (_, i) => message(`L${String(i).padStart(4, '0')}`, T0 + i, [['l@page.test', 'delivered']]));
        await Promise.all(ms.map((m) => store.putMessage(m)));
        const one = await store.pageMessages({}, { limit: 1 });
        expect(ids(one.items)).toEqual(['L1000']);
        expect(one.next).not.toBeNull();
        expect(one.total).toBeUndefined();
        const capped = await store.pageMessages({}, { limit: 5000, withTotal: true });
        expect(capped.items).toHaveLength(1000);
        expect(capped.total).toBe(1001);
        expect(capped.next).not.toBeNull();
        const rest = await store.pageMessages({}, { limit: 1000, cursor: capped.next, withTotal: true });
        expect(ids(rest.items)).toEqual(['L0000']);
        expect(rest.next).toBeNull();
        expect(rest.total).toBe(1001);
        // Exactly at the end: a page that holds the last match has no next.
        const exact = await store.pageMessages({ until: T0 + 10 }, { limit: 10 });
        expect(exact.items).toHaveLength(10);
        expect(exact.next).toBeNull();
        const scanned = ids(await collect(store.scanMessages({})));
        expect(scanned).toHaveLength(1001);
        expect(scanned).toEqual(ids(ms).reverse());
      });

      it('a cursor it did not hand out is refused with BadCursorError (the API answers 400)', async () => {
        await store.putMessage(message('C1', T0, [['c@page.test', 'queued']]));
        await store.putRecipient(recipient('c@page.test', { lastEventAt: T0 }));
        // Not base64 JSON; base64 of {"x":1}, JSON but no cursor.
        for (const cursor of ['garbage', 'eyJ4IjoxfQ']) {
          await expect(store.pageMessages({}, { limit: 1, cursor })).rejects.toBeInstanceOf(BadCursorError);
          await expect(store.pageRecipients({}, { limit: 1, cursor })).rejects.toBeInstanceOf(BadCursorError);
        }
        // No cursor (null or absent) is the first page.
        expect(ids((await store.pageMessages({}, { limit: 1, cursor: null })).items)).toEqual(['C1']);
      });
    });

    describe('countMessagesByBucket', () => {
      it('counts messages received in [since, until) per bucket from the origin', async () => {
        const at = [-1, 0, 5_000, 9_999, 10_000, 25_000, 29_999, 30_000, 35_000];
        await Promise.all(at.map((d, i) => store.putMessage(message(`b${i}`, T0 + d, [['b@bucket.test', 'delivered']]))));
        const asObject = (m: Map<number, number>) => Object.fromEntries([...m].filter(([, n]) => n > 0).sort((a, b) => a[0] - b[0]));
        expect(asObject(await store.countMessagesByBucket({ since: T0, until: T0 + 30_000, origin: T0, bucketMs: 10_000 }))).toEqual({ 0: 3, 1: 1, 2: 2 });
        expect(asObject(await store.countMessagesByBucket({ since: T0, until: T0 + 30_000, origin: T0 - 5_000, bucketMs: 10_000 }))).toEqual({ 0: 1, 1: 3, 3: 2 });
        expect(asObject(await store.countMessagesByBucket({ since: T0 - 1, until: T0 + 40_000, origin: T0 - 1, bucketMs: 3_600_000 }))).toEqual({ 0: 9 });
        expect(asObject(await store.countMessagesByBucket({ since: T0 + 40_000, until: T0 + 80_000, origin: T0, bucketMs: 10_000 }))).toEqual({});
      });
    });

    describe('recipient queries', () => {
      beforeEach(async () => {
        await Promise.all([
          store.putRecipient(recipient('Flagged.One@x.test', { invalid: true, category: 'Invalid Email', reason: 'userunknown', lastEventAt: T0 + 1 })),
          store.putRecipient(recipient('flagged.two@y.test', { invalid: true, category: 'Invalid Email', reason: 'userunknown', lastEventAt: T0 + 5 })),
          store.putRecipient(recipient('supp@x.test', { suppressed: true, suppressedAt: T0, category: 'Spam', lastEventAt: T0 + 3 })),
          store.putRecipient(recipient('both@x.test', { invalid: true, suppressed: true, category: 'Invalid Email', lastEventAt: T0 + 4 })),
          store.putRecipient(recipient('clean@x.test', { lastEventAt: T0 + 2, deliveredCount: 3 })),
          store.putRecipient(recipient('mbox@z.test', { category: 'Mailbox Error', reason: 'mailboxfull', lastEventAt: T0 + 6 })),
          store.putRecipient(recipient('never@x.test')),
        ]);
      });

      const cases: Array<[string, RecipientQuery, string[]]> = [
        ['no filter: newest active first, never active last', {}, ['mbox@z.test', 'flagged.two@y.test', 'both@x.test', 'supp@x.test', 'clean@x.test', 'Flagged.One@x.test', 'never@x.test']],
        ['invalid', { invalid: true }, ['flagged.two@y.test', 'both@x.test', 'Flagged.One@x.test']],
        ['not invalid', { invalid: false }, ['mbox@z.test', 'supp@x.test', 'clean@x.test', 'never@x.test']],
        ['suppressed', { suppressed: true }, ['both@x.test', 'supp@x.test']],
        ['not suppressed', { suppressed: false }, ['mbox@z.test', 'flagged.two@y.test', 'clean@x.test', 'Flagged.One@x.test', 'never@x.test']],
        ['invalid, not suppressed', { invalid: true, suppressed: false }, ['flagged.two@y.test', 'Flagged.One@x.test']],
        ['category', { category: 'Invalid Email' }, ['flagged.two@y.test', 'both@x.test', 'Flagged.One@x.test']],
        ['category spam', { category: 'Spam' }, ['supp@x.test']],
        ['prefix (any case)', { prefix: 'FLAGGED.' }, ['flagged.two@y.test', 'Flagged.One@x.test']],
        ['prefix, invalid and category', { prefix: 'flagged.t', invalid: true, category: 'Invalid Email' }, ['flagged.two@y.test']],
        ['prefix matching none', { prefix: 'zzz' }, []],
        ['suppressed and category', { suppressed: true, category: 'Invalid Email' }, ['both@x.test']],
      ];

      it.each(cases)('%s: pageRecipients, countRecipients, scanRecipients and withTotal agree', async (_what, q, expected) => {
        const page = await store.pageRecipients(q, { limit: 100, withTotal: true });
        expect(emails(page.items)).toEqual(expected);
        expect(page.total).toBe(expected.length);
        expect(page.next).toBeNull();
        expect(await store.countRecipients(q)).toBe(expected.length);
        expect(emails(await collect(store.scanRecipients(q)))).toEqual(expected);
        const paged = await allPages((cursor) => store.pageRecipients(q, { limit: 2, cursor }));
        expect(emails(paged.items)).toEqual(expected);
      });

      it('an update moves a record between lists, and the lists hold after a reopen', async () => {
        await store.updateRecipient('FLAGGED.ONE@x.test', (prev) => ({ record: { ...prev!, invalid: false, lastEventAt: T0 + 9 } }));
        await store.updateRecipient('clean@x.test', (prev) => ({ record: { ...prev!, suppressed: true, lastEventAt: T0 + 8 } }));
        const check = async () => {
          expect(emails((await store.pageRecipients({ invalid: true }, { limit: 10 })).items)).toEqual(['flagged.two@y.test', 'both@x.test']);
          expect(emails((await store.pageRecipients({ suppressed: true }, { limit: 10 })).items)).toEqual(['clean@x.test', 'both@x.test', 'supp@x.test']);
          expect(emails((await store.pageRecipients({}, { limit: 2 })).items)).toEqual(['Flagged.One@x.test', 'clean@x.test']);
        };
        await check();
        await reopen();
        await check();
      });

      it('pages through records active at the same instant without repeating or missing one', async () => {
        await Promise.all(Array.from({ length: 12 }, (_, i) => store.putRecipient(recipient(`tie${i}@tie.test`, { invalid: true, lastEventAt: T0 + 100 }))));
        const all = await allPages((cursor) => store.pageRecipients({ invalid: true }, { limit: 5, cursor }));
        expect(all.items).toHaveLength(15);
        expect(new Set(emails(all.items)).size).toBe(15);
        expect(emails(all.items).slice(12)).toEqual(['flagged.two@y.test', 'both@x.test', 'Flagged.One@x.test']);
      });
    });

    describe('updateRecipient', () => {
      it('200 concurrent increments of one address (in several spellings) lose none, and each saw the one before', async () => {
        const spellings = ['Counter@Atomic.test', 'counter@atomic.test', 'COUNTER@ATOMIC.TEST'];
        const written = await Promise.all(Array.from({ length: 200 }, (_, i) =>
          store.updateRecipient(spellings[i % 3]!, (prev) => {
            const r = prev ?? recipient('Counter@Atomic.test');
            return { record: { ...r, deliveredCount: r.deliveredCount + 1, lastEventAt: T0 + i } };
          })));
        expect(written.map((r) => r!.deliveredCount).sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
        expect((await store.getRecipient('counter@atomic.test'))?.deliveredCount).toBe(200);
        await reopen();
        expect((await store.getRecipient('counter@atomic.test'))?.deliveredCount).toBe(200);
        expect(await store.countRecipients({ prefix: 'counter@' })).toBe(1);
      });

      it('writes its events with its record; a null record leaves the record and still writes the events', async () => {
        const got: string[] = [];
        const off = store.subscribe((e) => got.push(e.id));
        const flag = flagEvent('Evt@Atomic.test', T0 + 1);
        const r = await store.updateRecipient('evt@atomic.test', (prev) => {
          expect(prev).toBeUndefined();
          return { record: recipient('Evt@Atomic.test', { invalid: true, flaggedAt: T0 + 1 }), events: [flag] };
        });
        expect(r).toMatchObject({ email: 'Evt@Atomic.test', invalid: true });
        expect((await store.eventsForRecipient('evt@atomic.test')).map((e) => e.id)).toEqual([flag.id]);
        const note = attempt('Q-evt', 'evt@atomic.test', 'deferred', T0 + 2, 'mailboxfull', 'Mailbox Error');
        const same = await store.updateRecipient('EVT@atomic.test', () => ({ record: null, events: [note] }));
        expect(same).toMatchObject({ invalid: true, flaggedAt: T0 + 1 });
        expect((await store.eventsForRecipient('evt@atomic.test')).map((e) => e.id)).toEqual([flag.id, note.id]);
        expect((await store.eventsForMessage('Q-evt')).map((e) => e.id)).toEqual([note.id]);
        await eventually(() => got.length >= 2, 'both events at the subscriber');
        expect(got).toEqual([flag.id, note.id]);
        off();
        await reopen();
        expect(await store.getRecipient('evt@atomic.test')).toMatchObject({ invalid: true });
        expect((await store.eventsForRecipient('evt@atomic.test')).map((e) => e.id)).toEqual([flag.id, note.id]);
      });

      it('a change that throws rejects and writes nothing; undefined for an address never written and left alone', async () => {
        await store.putRecipient(recipient('thrower@atomic.test', { deliveredCount: 1 }));
        await expect(store.updateRecipient('thrower@atomic.test', () => {
          throw new Error('change failed');
        })).rejects.toThrow('change failed');
        expect((await store.getRecipient('thrower@atomic.test'))?.deliveredCount).toBe(1);
        expect(await store.updateRecipient('nobody@atomic.test', () => ({ record: null }))).toBeUndefined();
        expect(await store.getRecipient('nobody@atomic.test')).toBeUndefined();
      });
    });

    describe('transaction()', () => {
      it('writes inside commit together: visible inside, all there after it and after a reopen', async () => {
        const e = attempt('Q-tx', 'tx@tx.test', 'delivered', T0 + 1);
        const out = await store.transaction(async () => {
          await store.putMessage(message('Q-tx', T0, [['tx@tx.test', 'delivered']]));
          expect((await store.getMessage('Q-tx'))?.status).toBe('done');
          await store.updateRecipient('tx@tx.test', (prev) => ({ record: { ...(prev ?? recipient('tx@tx.test')), deliveredCount: 1 } }));
          await store.appendEvents([e]);
          return 42;
        });
        expect(out).toBe(42);
        const check = async () => {
          expect((await store.getMessage('Q-tx'))?.status).toBe('done');
          expect((await store.getRecipient('tx@tx.test'))?.deliveredCount).toBe(1);
          expect((await store.eventsForMessage('Q-tx')).map((x) => x.id)).toEqual([e.id]);
        };
        await check();
        await reopen();
        await check();
      });

      it('an error thrown inside rejects the transaction; on a database none of its writes is visible', async () => {
        await store.putRecipient(recipient('keep@tx.test', { deliveredCount: 5 }));
        await expect(store.transaction(async () => {
          await store.putMessage(message('Q-txfail', T0, [['keep@tx.test', 'delivered']]));
          await store.updateRecipient('keep@tx.test', (prev) => ({ record: { ...prev!, deliveredCount: 6 } }));
          throw new Error('inside the transaction');
        })).rejects.toThrow('inside the transaction');
        if (store.engine === 'lowdb') {
          // lowdb applies each write at once and does not roll back (see LowdbStore.transaction):
          // what was written before the throw stays, and is durable.
          expect((await store.getMessage('Q-txfail'))?.queueId).toBe('Q-txfail');
          expect((await store.getRecipient('keep@tx.test'))?.deliveredCount).toBe(6);
        } else {
          expect(await store.getMessage('Q-txfail')).toBeUndefined();
          expect((await store.getRecipient('keep@tx.test'))?.deliveredCount).toBe(5);
        }
        // The store works on after it.
        await store.putMessage(message('Q-after', T0, [['keep@tx.test', 'queued']]));
        expect((await store.getMessage('Q-after'))?.status).toBe('queued');
      });
    });

    describe('events', () => {
      it('eventsForRecipient: the newest, newest last, at most the limit (100 by default), integration events for each of their recipients', async () => {
        const evs = Array.from({ length: 150 }, (_, i) => attempt(`Q-r${i}`, i % 2 ? 'Ev.Rcpt@Events.test' : 'ev.rcpt@events.test', 'delivered', T0 + i));
        await store.appendEvents(evs.slice(0, 70));
        await store.appendEvents(evs.slice(70));
        await store.appendEvents([attempt('Q-other', 'other@events.test', 'delivered', T0 + 200)]);
        const hundred = await store.eventsForRecipient('EV.RCPT@events.test');
        expect(hundred.map((e) => e.id)).toEqual(evs.slice(50).map((e) => e.id));
        expect((await store.eventsForRecipient('ev.rcpt@events.test', 5)).map((e) => e.id)).toEqual(evs.slice(145).map((e) => e.id));
        const integ: RecipientEvent = { type: 'integration', id: uid('ev'), time: T0 + 300, queueId: 'Q-int', cause: 'tls', mx: null, code: null, response: 'tls failed', rcpts: ['One@Int.test', 'two@int.test'] };
        await store.appendEvents([integ]);
        expect((await store.eventsForRecipient('one@int.test')).map((e) => e.id)).toEqual([integ.id]);
        expect((await store.eventsForRecipient('TWO@int.test')).map((e) => e.id)).toEqual([integ.id]);
        expect(await store.eventsForRecipient('three@int.test')).toEqual([]);
      });

      it('eventsForMessage: the message\'s events, oldest first, of every kind', async () => {
        const mine = [
          attempt('Q-m', 'a@m.test', 'deferred', T0 + 1, 'mailboxfull', 'Mailbox Error'),
          { type: 'integration', id: uid('ev'), time: T0 + 2, queueId: 'Q-m', cause: 'timeout', mx: null, code: null, response: 'timed out', rcpts: ['a@m.test'] } as RecipientEvent,
          attempt('Q-m', 'a@m.test', 'bounced', T0 + 3, 'userunknown', 'Invalid Email'),
          flagEvent('a@m.test', T0 + 4, 'Q-m'),
          report('Q-m', 'a@m.test', T0 + 5, 'userunknown', 'Invalid Email'),
        ];
        await store.appendEvents([mine[0]!, attempt('Q-n', 'a@m.test', 'delivered', T0 + 1)]);
        await store.appendEvents(mine.slice(1));
        expect((await store.eventsForMessage('Q-m')).map((e) => e.id)).toEqual(mine.map((e) => e.id));
        expect(await store.eventsForMessage('Q-none')).toEqual([]);
      });

      it('eventsForMessages and getRecipients: the same as one call each, for a whole page at once', async () => {
        const a = [attempt('Q-p1', 'a@p.test', 'deferred', T0 + 1), attempt('Q-p1', 'a@p.test', 'delivered', T0 + 2)];
        const b = [attempt('Q-p2', 'B@p.test', 'bounced', T0 + 3, 'userunknown', 'Invalid Email')];
        await store.appendEvents([a[0]!, b[0]!, a[1]!, attempt('Q-p3', 'c@p.test', 'delivered', T0 + 4)]);
        const got = await store.eventsForMessages(['Q-p1', 'Q-p2', 'Q-none']);
        expect([...got.keys()].sort()).toEqual(['Q-none', 'Q-p1', 'Q-p2']);
        expect(got.get('Q-p1')!.map((e) => e.id)).toEqual(a.map((e) => e.id));
        expect(got.get('Q-p2')!.map((e) => e.id)).toEqual(b.map((e) => e.id));
        expect(got.get('Q-none')).toEqual([]);
        await store.putRecipient(recipient('Two@P.test', { invalid: true }));
        await store.putRecipient(recipient('one@p.test'));
        const recs = await store.getRecipients(['ONE@p.test', 'two@p.test', 'two@P.TEST', 'nobody@p.test']);
        expect([...recs.keys()].sort()).toEqual(['one@p.test', 'two@p.test']);
        expect(recs.get('two@p.test')!.invalid).toBe(true);
        recs.get('one@p.test')!.invalid = true;
        expect((await store.getRecipient('one@p.test'))!.invalid).toBe(false);
      });

      it('eventsSince: every event of a large window over several days, oldest first, the bound inclusive; the same after a reopen', async () => {
        const DAY = 86_400_000;
        const start = Date.now() - 4 * DAY;
        const evs = Array.from({ length: 3000 }, (_, i) => attempt(`Q-s${i % 50}`, `s${i % 97}@since.test`, i % 4 ? 'delivered' : 'deferred', start + i * Math.floor((4 * DAY) / 3000)));
        for (let i = 0; i < evs.length; i += 500) await store.appendEvents(evs.slice(i, i + 500));
        const check = async () => {
          expect((await collect(store.eventsSince(start))).map((e) => e.id)).toEqual(evs.map((e) => e.id));
          const from = evs[1234]!.time;
          expect((await collect(store.eventsSince(from))).map((e) => e.id)).toEqual(evs.slice(1234).map((e) => e.id));
          expect((await collect(store.eventsSince(from + 1))).map((e) => e.id)).toEqual(evs.slice(1235).map((e) => e.id));
          expect(await collect(store.eventsSince(evs[2999]!.time + 1))).toEqual([]);
        };
        await check();
        await reopen();
        await check();
      });

      it('subscribe: every event appended from then on, in order, until unsubscribed', async () => {
        await store.appendEvents([attempt('Q-sub', 'sub@sub.test', 'delivered', T0)]);
        const first: string[] = [];
        const second: string[] = [];
        const offFirst = store.subscribe((e) => first.push(e.id));
        const offSecond = store.subscribe((e) => second.push(e.id));
        const a = attempt('Q-sub', 'sub@sub.test', 'deferred', T0 + 1);
        const b = flagEvent('sub@sub.test', T0 + 2, 'Q-sub');
        await store.appendEvents([a, b]);
        await eventually(() => first.length >= 2 && second.length >= 2, 'two events at both listeners');
        expect(first).toEqual([a.id, b.id]);
        offFirst();
        const c = attempt('Q-sub', 'sub@sub.test', 'delivered', T0 + 3);
        await store.appendEvents([c]);
        await eventually(() => second.length >= 3, 'the third event at the listener still subscribed');
        expect(second).toEqual([a.id, b.id, c.id]);
        expect(first).toEqual([a.id, b.id]);
        offSecond();
      });
    });

    it('names its engine', () => {
      expect(['lowdb', 'postgres']).toContain(store.engine);
    });
  });
}
