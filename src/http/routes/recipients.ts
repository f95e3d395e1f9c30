import type { FastifyInstance } from 'fastify';
import { CATEGORIES, categoryInfo, type Category } from '../../classify/index.js';
import { iso, MAX_CSV_ROWS, sendCsv } from '../csv.js';
import type { MessageRecord, RecipientRecord } from '../../types.js';
import { errorResponses, sendError } from '../errors.js';
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

interface RecipientListQuery {
  flagged?: boolean;
  suppressed?: boolean;
  category?: Category;
  q?: string;
  emails?: string;
  limit: number;
  offset: number;
  format: 'json' | 'csv';
}

const actionResponse = { 200: ref('Recipient'), ...errorResponses(401, 404) };

/** Messages this address was in, found through its events (the store has no recipient-to-message index). */
function messagesTo(deps: HttpDeps, email: string, limit = 50): MessageRecord[] {
  const ids = new Set<string>();
  const events = deps.store.eventsForRecipient(email);
  for (let i = events.length - 1; i >= 0 && ids.size < limit; i--) {
    const e = events[i]!;
    if ('queueId' in e && e.queueId) ids.add(e.queueId);
  }
  const rec = deps.store.getRecipient(email);
  if (rec?.lastQueueId) ids.add(rec.lastQueueId);
  return [...ids].map((id) => deps.store.getMessage(id)).filter((m): m is MessageRecord => !!m).sort((a, b) => b.receivedAt - a.receivedAt);
}

function view(deps: HttpDeps, r: RecipientRecord) {
  return {
    recipient: r,
    info: r.category ? categoryInfo(r.category) : null,
    suppression: { suppressed: r.suppressed, since: r.suppressedAt, reason: r.suppressedReason },
    messages: messagesTo(deps, r.email).map((m) => {
      const mine = m.rcpts.find((x) => sameAddress(x.rcpt, r.email));
      return { queueId: m.queueId, messageId: m.messageId, from: m.from, receivedAt: m.receivedAt, status: mine?.status ?? m.status, lastResponse: mine?.lastResponse ?? null };
    }),
    history: deps.store.eventsForRecipient(r.email).map(eventView),
  };
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
          q: { type: 'string', maxLength: 320, description: 'only addresses containing this text (case-insensitive)' },
          emails: { type: 'string', maxLength: 40_000, description: 'only these addresses, comma-separated (at most 500): the categories for a list of addresses in one request' },
          limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          offset: { type: 'integer', minimum: 0, default: 0 },
          format: { type: 'string', enum: ['json', 'csv'], default: 'json', description: `csv: every matching recipient (up to ${MAX_CSV_ROWS}), limit and offset ignored` },
        },
      },
      response: { 200: { type: 'object', properties: { total: { type: 'integer' }, recipients: arrayOf('Recipient') } }, ...errorResponses(401) },
    },
  }, async (req, reply) => {
    const q = req.query;
    const text = q.q?.trim().toLowerCase();
    const base = q.emails !== undefined
      ? [...new Set(q.emails.split(',').map((e) => e.trim()).filter(Boolean).slice(0, 500))].map((e) => findRecipient(store, e)).filter((r): r is RecipientRecord => !!r)
        .filter((r) => (q.flagged === undefined || r.invalid === q.flagged) && (q.suppressed === undefined || r.suppressed === q.suppressed))
      : store.listRecipients({ ...(q.flagged !== undefined ? { invalid: q.flagged } : {}), ...(q.suppressed !== undefined ? { suppressed: q.suppressed } : {}) });
    const list = base.filter((r) => (!q.category || r.category === q.category) && (!text || r.email.toLowerCase().includes(text)));
    if (q.format === 'csv') {
      return sendCsv(reply, 'recipients', ['email', 'category', 'reason', 'flagged', 'flagged_at', 'suppressed', 'suppressed_reason', 'last_status', 'last_event', 'last_reply', 'delivered', 'failed', 'consecutive_failures'],
        list.slice(0, MAX_CSV_ROWS).map((r) => [r.email, r.category, r.reason, r.invalid, iso(r.flaggedAt), r.suppressed, r.suppressedReason, r.lastStatus, iso(r.lastEventAt), r.lastResponse, r.deliveredCount, r.failedCount, r.consecutiveFailures]));
    }
    return { total: list.length, recipients: list.slice(q.offset, q.offset + q.limit) };
  });

  app.get<{ Params: { email: string } }>('/api/recipients/:email', {
    schema: { tags: ['recipients'], summary: 'One address: status, flag, reason, category with why and what to do, suppression, history', params: emailParam, response: { 200: recipientView, ...errorResponses(401, 404) } },
  }, async (req, reply) => {
    const r = findRecipient(store, req.params.email);
    if (!r) return sendError(reply, 404, 'recipient_not_found', notFound(req.params.email));
    return view(deps, r);
  });

  app.post<{ Params: { email: string } }>('/api/recipients/:email/clear', {
    schema: { tags: ['recipients'], summary: 'Clear the invalid-email flag (after the address was corrected or confirmed)', params: emailParam, response: actionResponse },
  }, async (req, reply) => {
    const email = findRecipient(store, req.params.email)?.email ?? req.params.email;
    const r = actions.clear(email);
    return r ?? sendError(reply, 404, 'recipient_not_found', notFound(email));
  });

  app.post<{ Params: { email: string }; Body: { reason?: string } | undefined }>('/api/recipients/:email/suppress', {
    schema: {
      tags: ['recipients'], summary: 'Put the address on the suppression list: submission refuses new mail to it', params: emailParam,
      body: { type: ['object', 'null'], properties: { reason: { type: 'string', maxLength: 500 } } },
      response: { 200: ref('Recipient'), ...errorResponses(400, 401) },
    },
  }, async (req) => {
    const email = findRecipient(store, req.params.email)?.email ?? req.params.email;
    return actions.suppress(email, req.body?.reason || 'suppressed by operator (API)');
  });

  app.post<{ Params: { email: string } }>('/api/recipients/:email/unsuppress', {
    schema: { tags: ['recipients'], summary: 'Lift the suppression', params: emailParam, response: actionResponse },
  }, async (req, reply) => {
    const email = findRecipient(store, req.params.email)?.email ?? req.params.email;
    const r = actions.unsuppress(email);
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
    const r = findRecipient(store, req.params.email);
    if (!r) return sendError(reply, 404, 'recipient_not_found', notFound(req.params.email));
    if (r.suppressed) return sendError(reply, 409, 'recipient_suppressed', `${r.email} is suppressed; POST .../unsuppress first`);
    if (r.invalid && !req.body?.force) {
      return sendError(reply, 409, 'recipient_flagged', `${r.email} is flagged invalid (${r.reason ?? 'unknown reason'}); POST .../clear first once the address is fixed, or send {"force": true}`);
    }
    const resent: Array<{ from: string; queueId: string }> = [];
    const failed: Array<{ from: string; error: string }> = [];
    // Sequential: keeps the new queue ids in the order of the originals.
    for (const m of messagesTo(deps, r.email, 1000)) {
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
