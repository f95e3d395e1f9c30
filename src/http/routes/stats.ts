import type { FastifyInstance } from 'fastify';
import { CATEGORIES } from '../../classify/index.js';
import { errorResponses, sendError } from '../errors.js';
import { BUCKET_MS, MAX_BUCKETS, overview, type Bucket, type Overview } from '../overview.js';
import { parseTime, TIME_HELP } from '../query.js';
import type { HttpDeps } from '../types.js';

const int = { type: 'integer' } as const;
const byCategory = { type: 'object', properties: Object.fromEntries(CATEGORIES.map((c) => [c, int])) } as const;
const counts = {
  accepted: int, delivered: int, deferred: int, bounced: int, complaints: int, flagged: int, cleared: int, integrationErrors: int, byCategory,
} as const;

interface OverviewQuery {
  since?: string;
  until?: string;
  bucket: Bucket;
  utcOffset: number;
}

/**
 * How long one computed overview is served again. The computation walks the range's messages in
 * one stretch on the event loop (at 100,000 messages a day: 17-60 ms here) and reads its events
 * (45-110 ms in all), so reloads and several people looking at once must not repeat it.
 */
const CACHE_MS = 15_000;

/** GET /api/stats/overview: the aggregates the dashboard's overview charts are drawn from. */
export function statsRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const cache = new Map<string, { at: number; value: Overview }>();
  app.get<{ Querystring: OverviewQuery }>('/api/stats/overview', {
    schema: {
      tags: ['diagnosis'],
      summary: 'Accepted, delivered, deferred, bounced; failures by category; complaints, flags and integration errors per hour or day; top failing domains and hosts (one answer is served again for 15 s)',
      querystring: {
        type: 'object',
        properties: {
          since: { type: 'string', description: `from: ${TIME_HELP}; default 24h (hour buckets) or 30d (day buckets)` },
          until: { type: 'string', description: `to: ${TIME_HELP}; default now` },
          bucket: { type: 'string', enum: ['hour', 'day'], default: 'hour' },
          utcOffset: { type: 'integer', minimum: -840, maximum: 840, default: 0, description: 'minutes east of UTC the buckets align to (the viewer\'s zone)' },
        },
      },
      response: {
        200: {
          type: 'object',
          properties: {
            from: int, to: int, bucket: { type: 'string' }, bucketMs: int, utcOffset: int,
            categories: { type: 'array', items: { type: 'string' } },
            totals: { type: 'object', properties: counts },
            complaintRate: { type: ['number', 'null'], description: 'complaints / delivered' },
            complaintLines: { type: 'array', items: { type: 'number' }, description: 'the providers\' 0.1 % and 0.3 % lines' },
            series: { type: 'array', items: { type: 'object', properties: { start: int, ...counts } } },
            topDomains: { type: 'array', items: { type: 'object', properties: { domain: { type: 'string' }, failures: int } } },
            topHosts: { type: 'array', items: { type: 'object', properties: { host: { type: 'string' }, failures: int } } },
            integrationCauses: { type: 'array', items: { type: 'object', properties: { cause: { type: 'string' }, count: int } } },
          },
        },
        ...errorResponses(400, 401),
      },
    },
  }, async (req, reply) => {
    const q = req.query;
    const now = deps.clock.now();
    const to = q.until === undefined ? now : parseTime(q.until, now);
    const from = q.since === undefined ? now - (q.bucket === 'day' ? 30 : 1) * 86_400_000 : parseTime(q.since, now);
    if (to === null) return sendError(reply, 400, 'bad_until', `until: use ${TIME_HELP}`);
    if (from === null) return sendError(reply, 400, 'bad_since', `since: use ${TIME_HELP}`);
    if (from >= to) return sendError(reply, 400, 'bad_range', 'since must be before until');
    if ((to - from) / BUCKET_MS[q.bucket] > MAX_BUCKETS) return sendError(reply, 400, 'too_many_buckets', `more than ${MAX_BUCKETS} ${q.bucket} buckets; use day buckets or a shorter range`);
    const key = JSON.stringify([q.since ?? '', q.until ?? '', q.bucket, q.utcOffset]);
    const hit = cache.get(key);
    if (hit && now - hit.at < CACHE_MS) return hit.value;
    const value = await overview(deps.store, { from, to, bucket: q.bucket, utcOffset: q.utcOffset });
    for (const [k, v] of cache) if (now - v.at >= CACHE_MS) cache.delete(k);
    if (cache.size < 50) cache.set(key, { at: now, value });
    return value;
  });
}
