// A store seeded with known traffic per hour, for the overview's API and browser tests (and the
// README's screenshots). The expected figures come from PLAN, never from the code under test.
import { randomUUID } from 'node:crypto';
import type { Category, Reason } from '../../src/classify/index.js';
import type { Store } from '../../src/store/index.js';
import type { MessageRecord, RecipientEvent } from '../../src/types.js';

export const HOUR = 3_600_000;

/** Per hour (0 = the oldest, HOURS-1 = the current hour): messages accepted, deliveries, failures by category. */
export const PLAN: Array<{ accepted: number; delivered: number; cats: Partial<Record<Category, number>>; integration?: number }> = [
  { accepted: 9, delivered: 20, cats: { 'Invalid Email': 3, 'Mailbox Error': 1 } },
  { accepted: 14, delivered: 35, cats: { Blocked: 2, 'Invalid Email': 1 } },
  { accepted: 11, delivered: 28, cats: { Spam: 1, Autoresponder: 4 } },
  { accepted: 16, delivered: 40, cats: { 'Not Delivered': 2, 'Mailbox Error': 3 }, integration: 2 },
  { accepted: 12, delivered: 31, cats: { 'Invalid Email': 5, Blocked: 1, Spam: 1 } },
  { accepted: 5, delivered: 12, cats: { Autoresponder: 1 } },
];
export const HOURS = PLAN.length;

const SHAPE: Record<Category, { reason: Reason; status?: 'bounced' | 'deferred' | 'expired'; code?: number; enhanced?: string; domain: string; mx?: string; report?: 'arf' | 'autoreply' }> = {
  'Invalid Email': { reason: 'userunknown', status: 'bounced', code: 550, enhanced: '5.1.1', domain: 'mail.example.com', mx: 'mx1.mail.example.com' },
  'Mailbox Error': { reason: 'mailboxfull', status: 'deferred', code: 452, enhanced: '4.2.2', domain: 'full.example.net', mx: 'mx.full.example.net' },
  Blocked: { reason: 'blocked', status: 'bounced', code: 554, enhanced: '5.7.1', domain: 'corp.example.org', mx: 'filter.corp.example.org' },
  'Not Delivered': { reason: 'expired', status: 'expired', code: null as unknown as number, domain: 'slow.example.net', mx: 'mx.slow.example.net' },
  Spam: { reason: 'feedback', domain: 'mail.example.com', report: 'arf' },
  Autoresponder: { reason: 'vacation', domain: 'corp.example.org', report: 'autoreply' },
};

export interface Seeded {
  /** Start of hour 0 (UTC hour boundary). */
  base: number;
  /** The address of each seeded failure, by category (one per category, for the lists). */
  sample: Partial<Record<Category, string>>;
}

/** Seeds HOURS hours ending with the current one; events sit mid-hour so no bucket edge is near. */
export async function seedOverview(store: Store, now = Date.now()): Promise<Seeded> {
  const base = Math.floor(now / HOUR) * HOUR - (HOURS - 1) * HOUR;
  const sample: Partial<Record<Category, string>> = {};
  let n = 0;
  for (const [hour, p] of PLAN.entries()) {
    // Mid-hour; in the current hour, halfway between its start and now (never in the future).
    const start = base + hour * HOUR;
    const t = hour < HOURS - 1 ? start + HOUR / 2 : start + Math.floor((now - start) / 2);
    for (let i = 0; i < p.accepted; i++) await store.putMessage(message(`SEED${hour}M${i}`, t, [`reader${i}@inbox.example`]));
    for (let i = 0; i < p.delivered; i++) await store.appendEvents([attempt(`SEED${hour}D${i}`, `reader${i}@inbox.example`, t, 'delivered')]);
    for (const [cat, count] of Object.entries(p.cats) as Array<[Category, number]>) {
      const s = SHAPE[cat];
      for (let i = 0; i < count; i++) {
        const rcpt = `${cat.toLowerCase().replace(' ', '-')}-${++n}@${s.domain}`;
        sample[cat] ??= rcpt;
        const queueId = `SEED${hour}F${n}`;
        if (s.report) {
          await store.appendEvents([attempt(queueId, rcpt, t, 'delivered')]);
          await store.appendEvents([{
            type: 'report', id: randomUUID(), time: t, reportId: `r${n}`, kind: s.report, queueId, rcpt, verified: true, matchedBy: 'verp',
            status: '', replycode: '', reason: s.reason, category: cat, hard: false, diagnostic: s.report === 'arf' ? 'abuse report: spam' : 'I am out of the office', decodedby: s.report,
            ...(s.report === 'arf' ? { feedbacktype: 'abuse' } : {}),
          }]);
        } else {
          await store.appendEvents([{ ...attempt(queueId, rcpt, t, s.status!), code: s.code ?? null, enhanced: s.enhanced ?? null, response: `${s.code ?? ''} ${s.enhanced ?? ''} seeded ${s.reason}`.trim(), mx: s.mx!, reason: s.reason, category: cat, hard: s.status !== 'deferred' }]);
          if (cat === 'Invalid Email') await store.appendEvents([{ type: 'flag', id: randomUUID(), time: t, rcpt, reason: s.reason, queueId, by: 'attempt' }]);
        }
        await putRecipient(store, rcpt, cat, s.reason, t, queueId, s.status ?? 'delivered');
      }
    }
    for (let i = 0; i < (p.integration ?? 0); i++) {
      await store.appendEvents([{ type: 'integration', id: randomUUID(), time: t, queueId: `SEED${hour}I${i}`, cause: 'tls', mx: 'smarthost.example.net', code: 454, response: '454 4.7.0 TLS not available', rcpts: [sample['Mailbox Error'] ?? `reader${i}@inbox.example`] }]);
    }
  }
  return { base, sample };
}

const sum = (o: Partial<Record<Category, number>>, ...cats: Category[]) => cats.reduce((a, c) => a + (o[c] ?? 0), 0);

/** Expected totals of hour `i`, from PLAN: each failure is its own message; complaints and auto-replies follow a delivery. */
export function expectedHour(i: number) {
  const p = PLAN[i]!;
  const failures = Object.values(p.cats).reduce((a, b) => a + b, 0);
  return {
    accepted: p.accepted + failures,
    delivered: p.delivered + sum(p.cats, 'Spam', 'Autoresponder'),
    deferred: sum(p.cats, 'Mailbox Error'),
    bounced: sum(p.cats, 'Invalid Email', 'Blocked', 'Not Delivered'),
    complaints: sum(p.cats, 'Spam'),
    flagged: sum(p.cats, 'Invalid Email'),
    cleared: 0,
    integrationErrors: p.integration ?? 0,
  };
}

/** Expected counts of hour `i` by category, from PLAN. */
export const expectedCats = (i: number): Record<Category, number> => ({
  'Invalid Email': 0, 'Mailbox Error': 0, Autoresponder: 0, Blocked: 0, Spam: 0, 'Not Delivered': 0, ...PLAN[i]!.cats,
});

function message(queueId: string, t: number, rcpts: string[]): MessageRecord {
  return {
    queueId, messageId: `${queueId}@seed.example`, from: 'shop@example.com', user: null, clientIp: '127.0.0.1', size: 1200, receivedAt: t, nextAttemptAt: null, status: 'done',
    rcpts: rcpts.map((rcpt) => ({ rcpt, status: 'delivered', attempts: 1, lastCode: 250, lastEnhanced: '2.0.0', lastResponse: '250 2.0.0 OK', lastMx: 'mx.inbox.example', updatedAt: t })),
  };
}

function attempt(queueId: string, rcpt: string, t: number, status: 'delivered' | 'bounced' | 'deferred' | 'expired'): Extract<RecipientEvent, { type: 'attempt' }> {
  return {
    type: 'attempt', id: randomUUID(), time: t, queueId, messageId: null, rcpt, attempt: 1, status, stage: 'rcpt', code: 250, enhanced: '2.0.0', response: '250 2.0.0 OK',
    mx: 'mx.inbox.example', ip: '192.0.2.1', tls: true, startedAt: t - 50, finishedAt: t,
  };
}

async function putRecipient(store: Store, email: string, category: Category, reason: Reason, t: number, queueId: string, lastStatus: 'bounced' | 'deferred' | 'expired' | 'delivered'): Promise<void> {
  const invalid = category === 'Invalid Email';
  await store.putRecipient({
    email, invalid, reason, category, lastStatus, lastEventAt: t, lastQueueId: queueId, lastResponse: `seeded ${reason}`, consecutiveFailures: 1, attemptsSinceFlag: 0,
    flaggedAt: invalid ? t : null, deliveredCount: lastStatus === 'delivered' ? 1 : 0, failedCount: lastStatus === 'delivered' ? 0 : 1,
    suppressed: category === 'Spam', suppressedAt: category === 'Spam' ? t : null, suppressedReason: category === 'Spam' ? 'spam complaint' : null, reconciledCount: 0,
  });
  // The failed message itself, so Activity lists it with its recipient.
  await store.putMessage({ ...message(queueId, t, [email]), rcpts: [{ rcpt: email, status: lastStatus, attempts: 1, lastCode: null, lastEnhanced: null, lastResponse: `seeded ${reason}`, lastMx: null, updatedAt: t }] });
}
