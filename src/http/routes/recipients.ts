import type { FastifyInstance } from 'fastify';
import { CATEGORIES, categoryInfo, type Category } from '../../classify/index.js';
import { iso, MAX_CSV_ROWS, sendCsv } from '../csv.js';
import { BadCursorError, type Page, type RecipientQuery } from '../../store/index.js';
import type { MessageRecord, RecipientRecord } from '../../types.js';
import { errorResponses, sendError } from '../errors.js';
import { firstOf, pagingProperties, readPage, type PagingQuery } from '../paging.js';
import { arrayOf, emailParam, ref } from '../schemas.js';
import type { HttpDeps } from '../types.js';
import { eventView, findRecipient } from './view.js';
import { sameAddress } from '../../util/address-key.js';

const recipientView = {
  type: 'object',
  properties: {
    recipient: ref('Recipient'),
    /** Why it failed and what to do, for the recipient's current category. */
    info: { anyOf: [ref('CategoryInfo'), { type: 'null' }] },
    suppression: {
      type: 'object',
      properties: { suppressed: { type: 'boolean' }, since: { type: ['integer', 'null'] }, reason: { type: ['string', 'null'] } },
    },
    messages: {
      type: 'array',
      description: 'recent messages to this address, newest first, with this recipient\'s status in each',
      items: {
        type: 'object',
        properties: { queueId: { type: 'string' }, messageId: { type: ['string', 'null'] }, from: { type: 'string' }, receivedAt: { type: 'integer' }, status: { type: 'string' }, lastResponse: { type: ['string', 'null'] } },
      },
    },
    history: { ...arrayOf('Event'), description: 'events about this address, newest last' },
  },
} as const;

interface RecipientListQuery extends PagingQuery {
  flagged?: boolean;
  suppressed?: boolean;
  category?: Category;
  prefix?: string;
  q?: string;
  emails?: string;
  format: 'json' | 'csv';
}

const actionResponse = { 200: ref('Recipient'), ...errorResponses(401, 404) };

/** Messages this address was in, found through its events (the store has no recipient-to-message index). */
async function messagesTo(deps: HttpDeps, email: string, limit = 50): Promise<MessageRecord[]> {
  const ids = new Set<string>();
  const events = await deps.store.eventsForRecipient(email);
  for (let i = events.length - 1; i >= 0 && ids.size < limit; i--) {
    const e = events[i]!;
    if ('queueId' in e && e.queueId) ids.add(e.queueId);
  }
  const rec = await deps.store.getRecipient(email);
  if (rec?.lastQueueId) ids.add(rec.lastQueueId);
  const found = await Promise.all([...ids].map((id) => deps.store.getMessage(id)));
  return found.filter((m): m is MessageRecord => !!m).sort((a, b) => b.receivedAt - a.receivedAt);
}

async function view(deps: HttpDeps, r: RecipientRecord) {
  const [messages, history] = await Promise.all([messagesTo(deps, r.email), deps.store.eventsForRecipient(r.email)]);
  return {
    recipient: r,
    info: r.category ? categoryInfo(r.category) : null,
    suppression: { suppressed: r.suppressed, since: r.suppressedAt, reason: r.suppressedReason },
    messages: messages.map((m) => {
      const mine = m.rcpts.find((x) => sameAddress(x.rcpt, r.email));
      return { queueId: m.queueId, messageId: m.messageId, from: m.from, receivedAt: m.receivedAt, status: mine?.status ?? m.status, lastResponse: mine?.lastResponse ?? null };
    }),
    history: history.map(eventView),
  };
}

/**
 * The list for `emails` or `q` (containing this text): read whole through the store's filter and
 * paged here by offset (`q` is a substring, which no index answers; `emails` is at most 500 lookups).
 */
async function filteredHere(deps: HttpDeps, q: RecipientListQuery, query: RecipientQuery): Promise<RecipientRecord[]> {
  const keep = (r: RecipientRecord) => (q.flagged === undefined || r.invalid === q.flagged) && (q.suppressed === undefined || r.suppressed === q.suppressed)
    && (!q.category || r.category === q.category);
  if (q.emails !== undefined) {
    const emails = [...new Set(q.emails.split(',').map((e) => e.trim()).filter(Boolean).slice(0, 500))];
    const found = await Promise.all(emails.map((e) => findRecipient(deps.store, e)));
    return found.filter((r): r is RecipientRecord => !!r && keep(r));
  }
  const text = q.q!.trim().toLowerCase();
  const out: RecipientRecord[] = [];
  for await (const r of deps.store.scanRecipients(query)) if (r.email.toLowerCase().includes(text)) out.push(r);
  return out;
}

const notFound = (email: string) => `no recipient ${email}: Rebound has not sent to this address (or its record was pruned)`;

export function recipientRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const { store, actions } = deps;

  app.get<{ Querystring: RecipientListQuery }>('/api/recipients', {
    schema: {
      tags: ['recipients'],
      summary: 'List recipients, most recent activity first',
      querystring: {
        type: 'object',
        properties: {
          flagged: { type: 'boolean', description: 'only flagged (invalid) addresses, or only unflagged ones' },
          suppressed: { type: 'boolean' },
          category: { type: 'string', enum: [...CATEGORIES], description: 'only addresses whose last failure or report was in this category' },
          prefix: { type: 'string', maxLength: 320, description: 'only addresses starting with this (case-insensitive; indexed, unlike q)' },
          q: { type: 'string', maxLength: 320, description: 'only addresses containing this text (case-insensitive; paged by offset only)' },
          emails: { type: 'string', maxLength: 40_000, description: 'only these addresses, comma-separated (at most 500): the categories for a list of addresses in one request (paged by offset only)' },
          limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          ...pagingProperties,
          format: { type: 'string', enum: ['json', 'csv'], default: 'json', description: `csv: every matching recipient (up to ${MAX_CSV_ROWS}), limit, cursor and offset ignored` },
        },
      },
      response: {
        200: {
          type: 'object',
          properties: {
            total: { type: 'integer', description: 'every match (absent with total=false)' }, next: { type: ['string', 'null'], description: 'cursor of the next page; null on the last' },
            recipients: arrayOf('Recipient'),
          },
        },
        ...errorResponses(400, 401),
      },
    },
  }, async (req, reply) => {
    const q = req.query;
    const query: RecipientQuery = {
      ...(q.flagged !== undefined ? { invalid: q.flagged } : {}), ...(q.suppressed !== undefined ? { suppressed: q.suppressed } : {}),
      ...(q.category ? { category: q.category } : {}), ...(q.prefix?.trim() ? { prefix: q.prefix.trim() } : {}),
    };
    const here = q.emails !== undefined || !!q.q?.trim();
    let page: Page<RecipientRecord>;
    try {
      if (here) {
        const list = await filteredHere(deps, q, query);
        page = { items: q.format === 'csv' ? list.slice(0, MAX_CSV_ROWS) : list.slice(q.offset, q.offset + q.limit), next: null, total: list.length };
      } else if (q.format === 'csv') page = { items: await firstOf(store.scanRecipients(query), MAX_CSV_ROWS), next: null };
      else page = await readPage((p) => store.pageRecipients(query, p), q);
    } catch (err) {
      if (err instanceof BadCursorError) return sendError(reply, 400, err.code, err.message);
      throw err;
    }
    if (q.format === 'csv') {
      return sendCsv(reply, 'recipients', ['email', 'category', 'reason', 'flagged', 'flagged_at', 'suppressed', 'suppressed_reason', 'last_status', 'last_event', 'last_reply', 'delivered', 'failed', 'consecutive_failures'],
        page.items.map((r) => [r.email, r.category, r.reason, r.invalid, iso(r.flaggedAt), r.suppressed, r.suppressedReason, r.lastStatus, iso(r.lastEventAt), r.lastResponse, r.deliveredCount, r.failedCount, r.consecutiveFailures]));
    }
    return { ...(page.total !== undefined && (q.total || here) ? { total: page.total } : {}), next: page.next, recipients: page.items };
  });

  app.get<{ Params: { email: string } }>('/api/recipients/:email', {
    schema: { tags: ['recipients'], summary: 'One address: status, flag, reason, category with why and what to do, suppression, history', params: emailParam, response: { 200: recipientView, ...errorResponses(401, 404) } },
  }, async (req, reply) => {
    const r = await findRecipient(store, req.params.email);
    if (!r) return sendError(reply, 404, 'recipient_not_found', notFound(req.params.email));
    return view(deps, r);
  });

  app.post<{ Params: { email: string } }>('/api/recipients/:email/clear', {
    schema: { tags: ['recipients'], summary: 'Clear the invalid-email flag (after the address was corrected or confirmed)', params: emailParam, response: actionResponse },
  }, async (req, reply) => {
    const email = (await findRecipient(store, req.params.email))?.email ?? req.params.email;
    const r = await actions.clear(email);
    return r ?? sendError(reply, 404, 'recipient_not_found', notFound(email));
  });

  app.post<{ Params: { email: string }; Body: { reason?: string } | undefined }>('/api/recipients/:email/suppress', {
    schema: {
      tags: ['recipients'], summary: 'Put the address on the suppression list: submission refuses new mail to it', params: emailParam,
      body: { type: ['object', 'null'], properties: { reason: { type: 'string', maxLength: 500 } } },
      response: { 200: ref('Recipient'), ...errorResponses(400, 401) },
    },
  }, async (req) => {
    const email = (await findRecipient(store, req.params.email))?.email ?? req.params.email;
    return actions.suppress(email, req.body?.reason || 'suppressed by operator (API)');
  });

  app.post<{ Params: { email: string } }>('/api/recipients/:email/unsuppress', {
    schema: { tags: ['recipients'], summary: 'Lift the suppression', params: emailParam, response: actionResponse },
  }, async (req, reply) => {
    const email = (await findRecipient(store, req.params.email))?.email ?? req.params.email;
    const r = await actions.unsuppress(email);
    return r ?? sendError(reply, 404, 'recipient_not_found', notFound(email));
  });

  app.post<{ Params: { email: string }; Body: { force?: boolean } | undefined }>('/api/recipients/:email/resend', {
    schema: {
      tags: ['recipients'],
      summary: 'Re-submit the messages to this address that did not get through (bounced or expired)',
      params: emailParam,
      body: { type: ['object', 'null'], properties: { force: { type: 'boolean', description: 'resend even while the address is flagged invalid' } } },
      response: {
        200: {
          type: 'object',
          properties: {
            resent: { type: 'array', items: { type: 'object', properties: { from: { type: 'string' }, queueId: { type: 'string' } } } },
            failed: { type: 'array', items: { type: 'object', properties: { from: { type: 'string' }, error: { type: 'string' } } } },
          },
        },
        ...errorResponses(401, 404, 409, 501),
      },
    },
  }, async (req, reply) => {
    if (!deps.resender) return sendError(reply, 501, 'not_available', 'resend is not wired into this server');
    const r = await findRecipient(store, req.params.email);
    if (!r) return sendError(reply, 404, 'recipient_not_found', notFound(req.params.email));
    if (r.suppressed) return sendError(reply, 409, 'recipient_suppressed', `${r.email} is suppressed; POST .../unsuppress first`);
    if (r.invalid && !req.body?.force) {
      return sendError(reply, 409, 'recipient_flagged', `${r.email} is flagged invalid (${r.reason ?? 'unknown reason'}); POST .../clear first once the address is fixed, or send {"force": true}`);
    }
    const resent: Array<{ from: string; queueId: string }> = [];
    const failed: Array<{ from: string; error: string }> = [];
    // Sequential: keeps the new queue ids in the order of the originals.
    for (const m of await messagesTo(deps, r.email, 1000)) {
      const mine = m.rcpts.find((x) => sameAddress(x.rcpt, r.email));
      if (!mine || (mine.status !== 'bounced' && mine.status !== 'expired')) continue;
      try {
        // The address as that message had it: that is what goes upstream again.
        resent.push({ from: m.queueId, queueId: await deps.resender.resend(m.queueId, [mine.rcpt]) });
      } catch (err) {
        failed.push({ from: m.queueId, error: (err as Error).message });
      }
    }
    return { resent, failed };
  });
}
