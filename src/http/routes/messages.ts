import { addressKey } from '../../util/address-key.js';
import type { FastifyInstance } from 'fastify';
import { CATEGORIES, REASONS, type Category, type Reason } from '../../classify/index.js';
import { iso, MAX_CSV_ROWS, sendCsv } from '../csv.js';
import { BadCursorError, type MessageQuery, type Page } from '../../store/index.js';
import type { MessageRecord, RecipientEvent } from '../../types.js';
import { errorResponses, sendError } from '../errors.js';
import { firstOf, pagingProperties, readPage, type PagingQuery } from '../paging.js';
import { parseTime, TIME_HELP } from '../query.js';
import { arrayOf, ref } from '../schemas.js';
import type { HttpDeps } from '../types.js';
import { eventView } from './view.js';
import { sameAddress } from '../../util/address-key.js';

const RCPT_STATUSES = ['delivered', 'bounced', 'deferred', 'expired'] as const;

interface ListQuery extends PagingQuery {
  status?: 'queued' | 'done' | (typeof RCPT_STATUSES)[number];
  recipient?: string;
  since?: string;
  until?: string;
  reason?: Reason;
  category?: Category;
  format: 'json' | 'csv';
}

const listSchema = {
  tags: ['messages'],
  summary: 'List messages, newest first',
  querystring: {
    type: 'object',
    properties: {
      status: { type: 'string', enum: ['queued', 'done', ...RCPT_STATUSES], description: 'queued/done: the message; delivered/bounced/deferred/expired: any of its recipients (with `recipient`: that one)' },
      recipient: { type: 'string', description: 'only messages to this address' },
      since: { type: 'string', description: `received at or after: ${TIME_HELP}` },
      until: { type: 'string', description: `received before: ${TIME_HELP}` },
      reason: { type: 'string', enum: [...REASONS], description: 'a recipient failed for this reason' },
      category: { type: 'string', enum: [...CATEGORIES], description: 'a recipient failed in this category' },
      limit: { type: 'integer', minimum: 1, maximum: 1000, default: 50 },
      ...pagingProperties,
      format: { type: 'string', enum: ['json', 'csv'], default: 'json', description: `csv: every matching message (up to ${MAX_CSV_ROWS} rows), one row per recipient, limit, cursor and offset ignored` },
    },
  },
  response: {
    200: {
      type: 'object',
      properties: {
        total: { type: 'integer', description: 'every match (absent with total=false)' }, limit: { type: 'integer' }, offset: { type: 'integer' },
        next: { type: ['string', 'null'], description: 'cursor of the next page; null on the last' }, messages: arrayOf('Message'),
      },
    },
    ...errorResponses(400, 401),
  },
} as const;

const detailSchema = {
  tags: ['messages'],
  summary: 'One message: every recipient with its attempts, full upstream replies and the bounce reports tied to it',
  params: { type: 'object', properties: { queueId: { type: 'string', description: 'queue id, or the Message-ID header' } }, required: ['queueId'] },
  response: {
    200: {
      type: 'object',
      properties: {
        message: ref('Message'),
        /** Present while the spool still holds it. */
        queue: { type: ['object', 'null'], properties: { nextAttemptAt: { type: 'integer' }, running: { type: 'boolean' } } },
        recipients: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              rcpt: { type: 'string' }, status: { type: 'string' }, attempts: { type: 'integer' },
              lastCode: { type: ['integer', 'null'] }, lastEnhanced: { type: ['string', 'null'] }, lastResponse: { type: ['string', 'null'] },
              lastMx: { type: ['string', 'null'] }, updatedAt: { type: 'integer' },
              attemptLog: { ...arrayOf('Event'), description: 'every attempt event, with the full upstream reply' },
              reports: arrayOf('Event'),
              reconciliations: arrayOf('Event'),
            },
          },
        },
        integrationErrors: arrayOf('Event'),
        /** Every report tied to this message, including ones whose recipient is not one of its recipients. */
        reports: arrayOf('Event'),
        events: arrayOf('Event'),
      },
    },
    ...errorResponses(401, 404),
  },
} as const;

/**
 * What happened to this recipient in this message: the category and reason of its latest failure
 * or verified report (a complaint or an auto-reply after the delivery), none when a delivery came last.
 */
function outcomeOf(events: RecipientEvent[], rcpt: string): { outcomeCategory: Category | null; outcomeReason: Reason | null } {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    if ((e.type !== 'attempt' && !(e.type === 'report' && e.verified)) || !sameAddress(e.rcpt, rcpt)) continue;
    if (e.type === 'attempt' && e.status === 'delivered') break;
    if (e.category) return { outcomeCategory: e.category, outcomeReason: e.reason ?? null };
  }
  return { outcomeCategory: null, outcomeReason: null };
}

export function messageRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const { store } = deps;

  app.get<{ Querystring: ListQuery }>('/api/messages', { schema: listSchema }, async (req, reply) => {
    const q = req.query;
    const now = deps.clock.now();
    const since = q.since !== undefined ? parseTime(q.since, now) : null;
    const until = q.until !== undefined ? parseTime(q.until, now) : null;
    if (since === null && q.since !== undefined) return sendError(reply, 400, 'bad_since', `since: use ${TIME_HELP}`);
    if (until === null && q.until !== undefined) return sendError(reply, 400, 'bad_until', `until: use ${TIME_HELP}`);
    const rcpt = q.recipient?.trim();
    const messageStatus = q.status === 'queued' || q.status === 'done' ? q.status : undefined;
    const rcptStatus = q.status === 'queued' || q.status === 'done' ? undefined : q.status;
    const query: MessageQuery = {
      ...(messageStatus ? { status: messageStatus } : {}), ...(rcptStatus ? { rcptStatus } : {}), ...(rcpt ? { rcpt } : {}),
      ...(since !== null ? { since } : {}), ...(until !== null ? { until } : {}),
      ...(q.reason ? { failedReason: q.reason } : {}), ...(q.category ? { failedCategory: q.category } : {}),
    };
    const csv = q.format === 'csv';
    let page: Page<MessageRecord>;
    try {
      page = csv ? { items: await firstOf(store.scanMessages(query), MAX_CSV_ROWS), next: null } : await readPage((p) => store.pageMessages(query, p), q);
    } catch (err) {
      if (err instanceof BadCursorError) return sendError(reply, 400, err.code, err.message);
      throw err;
    }
    // Each recipient carries its address's flag now, and what happened to it in this message
    // (a complaint or an auto-reply after a delivery), so a list can show both without more requests.
    // Two reads for the whole page, not two per message.
    const [eventsOf, recipients] = await Promise.all([
      store.eventsForMessages(page.items.map((m) => m.queueId)),
      store.getRecipients(page.items.flatMap((m) => m.rcpts.map((r) => r.rcpt))),
    ]);
    const messages = page.items.map((m) => {
      const events = eventsOf.get(m.queueId) ?? [];
      return {
        ...m,
        rcpts: m.rcpts.map((r) => {
          const rec = recipients.get(addressKey(r.rcpt));
          return { ...r, invalid: !!rec?.invalid, reason: rec?.reason ?? null, category: rec?.category ?? null, ...outcomeOf(events, r.rcpt) };
        }),
      };
    });
    if (csv) {
      return sendCsv(reply, 'messages', ['received', 'queue_id', 'message_id', 'from', 'recipient', 'status', 'category', 'reason', 'attempts', 'code', 'enhanced', 'reply', 'host', 'flagged'],
        messages.flatMap((m) => m.rcpts.map((r) => [iso(m.receivedAt), m.queueId, m.messageId, m.from, r.rcpt, r.status, r.outcomeCategory, r.outcomeReason, r.attempts, r.lastCode, r.lastEnhanced, r.lastResponse, r.lastMx, r.invalid])));
    }
    return { ...(page.total !== undefined ? { total: page.total } : {}), limit: q.limit, offset: q.cursor ? 0 : q.offset, next: page.next, messages };
  });

  app.get<{ Params: { queueId: string } }>('/api/messages/:queueId', { schema: detailSchema }, async (req, reply) => {
    const id = req.params.queueId;
    const message = (await store.getMessage(id)) ?? (await store.findByMessageId(id));
    if (!message) return sendError(reply, 404, 'message_not_found', `no message with queue id or Message-ID ${id}`);
    const events = await store.eventsForMessage(message.queueId);
    const inQueue = (await deps.delivery.queued()).find((m) => m.envelope.queueId === message.queueId);
    const reports = events.filter((e) => e.type === 'report');
    return {
      message,
      queue: inQueue ? { nextAttemptAt: inQueue.nextAttemptAt, running: inQueue.running } : null,
      recipients: message.rcpts.map((r) => {
        const mine = events.filter((e) => 'rcpt' in e && sameAddress(e.rcpt, r.rcpt));
        return {
          ...r,
          attemptLog: mine.filter((e) => e.type === 'attempt').map(eventView),
          reports: mine.filter((e) => e.type === 'report').map(eventView),
          reconciliations: mine.filter((e) => e.type === 'reconcile').map(eventView),
        };
      }),
      integrationErrors: events.filter((e) => e.type === 'integration').map(eventView),
      reports: reports.map(eventView),
      events: events.map(eventView),
    };
  });
}
