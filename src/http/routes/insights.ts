// Read-only views over recent events: integration errors by cause, unmatched reports, diagnosis.
import type { FastifyInstance } from 'fastify';
import { CATEGORIES, type Category } from '../../classify/index.js';
import type { IntegrationCause, RecipientEvent } from '../../types.js';
import { iso, MAX_CSV_ROWS, sendCsv } from '../csv.js';
import { errorResponses, sendError } from '../errors.js';
import { parseTime, TIME_HELP } from '../query.js';
import { arrayOf } from '../schemas.js';
import type { HttpDeps } from '../types.js';
import { eventView } from './view.js';

type IntegrationEvent = Extract<RecipientEvent, { type: 'integration' }>;
type ReportEvent = Extract<RecipientEvent, { type: 'report' }>;

const DAY_MS = 86_400_000;
const sinceQuery = { since: { type: 'string', description: `from: ${TIME_HELP}; default 24h` } } as const;

interface CauseGroup {
  cause: IntegrationCause;
  count: number;
  recipients: number;
  firstAt: number;
  lastAt: number;
  lastResponse: string;
  hosts: string[];
  queueIds: string[];
  recent: IntegrationEvent[];
}

function groupByCause(events: IntegrationEvent[]): CauseGroup[] {
  const groups = new Map<IntegrationCause, CauseGroup & { hostSet: Set<string>; rcptCount: number }>();
  for (const e of events) {
    let g = groups.get(e.cause);
    if (!g) {
      g = { cause: e.cause, count: 0, recipients: 0, rcptCount: 0, firstAt: e.time, lastAt: e.time, lastResponse: e.response, hosts: [], hostSet: new Set(), queueIds: [], recent: [] };
      groups.set(e.cause, g);
    }
    g.count++;
    g.rcptCount += e.rcpts.length;
    g.lastAt = Math.max(g.lastAt, e.time);
    g.firstAt = Math.min(g.firstAt, e.time);
    if (e.time >= g.lastAt) g.lastResponse = e.response;
    if (e.mx) g.hostSet.add(e.mx);
    if (g.queueIds.length < 20 && !g.queueIds.includes(e.queueId)) g.queueIds.push(e.queueId);
    g.recent.push(e);
    if (g.recent.length > 10) g.recent.shift();
  }
  return [...groups.values()]
    .map(({ hostSet, rcptCount, ...g }) => ({ ...g, recipients: rcptCount, hosts: [...hostSet] }))
    .sort((a, b) => b.count - a.count);
}

export function insightRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const { store } = deps;
  const sinceOf = (text: string | undefined): number | null => (text === undefined ? deps.clock.now() - DAY_MS : parseTime(text, deps.clock.now()));

  app.get<{ Querystring: { since?: string } }>('/api/integration-errors', {
    schema: {
      tags: ['diagnosis'],
      summary: 'Failures that were not about a recipient (connection, TLS, AUTH, DNS...), grouped by cause',
      querystring: { type: 'object', properties: sinceQuery },
      response: {
        200: {
          type: 'object',
          properties: {
            since: { type: 'integer' }, total: { type: 'integer' },
            causes: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  cause: { type: 'string' }, count: { type: 'integer' }, recipients: { type: 'integer' }, firstAt: { type: 'integer' }, lastAt: { type: 'integer' },
                  lastResponse: { type: 'string' }, hosts: { type: 'array', items: { type: 'string' } }, queueIds: { type: 'array', items: { type: 'string' } },
                  recent: arrayOf('Event'),
                },
              },
            },
          },
        },
        ...errorResponses(400, 401),
      },
    },
  }, async (req, reply) => {
    const since = sinceOf(req.query.since);
    if (since === null) return sendError(reply, 400, 'bad_since', `since: use ${TIME_HELP}`);
    const events: IntegrationEvent[] = [];
    for await (const e of store.eventsSince(since)) if (e.type === 'integration') events.push(e);
    return { since, total: events.length, causes: groupByCause(events).map((g) => ({ ...g, recent: g.recent.map(eventView) })) };
  });

  app.get<{ Querystring: { matched?: boolean; since?: string; category?: Category; limit: number; format: 'json' | 'csv' } }>('/api/reports', {
    schema: {
      tags: ['reports'],
      summary: 'Reports (bounces, complaints, auto-replies) that came back to the return path; matched=false: the ones not tied to a message',
      querystring: {
        type: 'object',
        properties: {
          matched: { type: 'boolean' }, ...sinceQuery, category: { type: 'string', enum: [...CATEGORIES] },
          limit: { type: 'integer', minimum: 1, maximum: 5000, default: 200 },
          format: { type: 'string', enum: ['json', 'csv'], default: 'json', description: `csv: every matching report (up to ${MAX_CSV_ROWS}), newest first, limit ignored` },
        },
      },
      response: { 200: { type: 'object', properties: { since: { type: 'integer' }, total: { type: 'integer' }, reports: arrayOf('Event') } }, ...errorResponses(400, 401) },
    },
  }, async (req, reply) => {
    const since = sinceOf(req.query.since);
    if (since === null) return sendError(reply, 400, 'bad_since', `since: use ${TIME_HELP}`);
    const { matched: m, category } = req.query;
    const csv = req.query.format === 'csv';
    const keep = csv ? MAX_CSV_ROWS : req.query.limit;
    // Counts every match of the window; keeps only the newest `keep` (newest first: the interesting ones).
    const newest: ReportEvent[] = [];
    let total = 0;
    for await (const e of store.eventsSince(since)) {
      if (e.type !== 'report' || (m !== undefined && e.verified !== m) || (category && e.category !== category)) continue;
      total++;
      newest.push(e);
      if (newest.length > keep * 2) newest.splice(0, newest.length - keep);
    }
    const reports = newest.slice(-keep).reverse();
    if (csv) {
      return sendCsv(reply, 'reports', ['time', 'kind', 'recipient', 'category', 'reason', 'status', 'reply_code', 'matched', 'queue_id', 'matched_by', 'unmatched_why', 'diagnostic'],
        reports.map((e) => [iso(e.time), e.kind, e.rcpt, e.category, e.reason, e.status, e.replycode, e.verified, e.queueId, e.matchedBy, e.unmatchedWhy, e.diagnostic]));
    }
    return { since, total, reports: reports.map(eventView) };
  });

  app.get<{ Querystring: { window?: string } }>('/api/diagnose', {
    schema: {
      tags: ['diagnosis'],
      summary: 'What looks wrong and where to look: findings from recent events and flags',
      querystring: { type: 'object', properties: { window: { type: 'string', description: 'how far back to look, like 1h, 24h, 7d; default 24h' } } },
      response: {
        200: {
          type: 'object',
          properties: {
            now: { type: 'integer' }, windowMs: { type: 'integer' },
            findings: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  id: { type: 'string' }, rule: { type: 'string' }, severity: { type: 'string', enum: ['critical', 'warning', 'info'] }, title: { type: 'string' },
                  summary: { type: 'string' }, nextStep: { type: 'string' },
                  evidence: {
                    type: 'array',
                    items: {
                      type: 'object',
                      properties: { text: { type: 'string' }, time: { type: 'integer' }, queueId: { type: 'string' }, rcpt: { type: 'string' }, count: { type: 'integer' } },
                    },
                  },
                },
              },
            },
          },
        },
        ...errorResponses(400, 401, 501),
      },
    },
  }, async (req, reply) => {
    if (!deps.diagnose) return sendError(reply, 501, 'not_available', 'diagnosis is not wired into this server');
    const now = deps.clock.now();
    const from = req.query.window === undefined ? now - DAY_MS : parseTime(req.query.window, now);
    if (from === null || from >= now) return sendError(reply, 400, 'bad_window', 'window: use an age such as 1h, 24h or 7d');
    return { now, windowMs: now - from, findings: await deps.diagnose({ now, windowMs: now - from }) };
  });
}
