import type { FastifyInstance } from 'fastify';
import { CATEGORIES } from '../../classify/index.js';
import type { RecipientEvent } from '../../types.js';
import { errorResponses } from '../errors.js';
import type { HttpDeps } from '../types.js';
import { eventView, rcptsOf } from './view.js';

interface StreamQuery {
  types?: string;
  rcpt?: string;
  queueId?: string;
  category?: string;
}

/** How far back a reconnecting client (Last-Event-ID) is caught up. */
const REPLAY_MS = 3_600_000;

/**
 * GET /api/events/stream: Server-Sent Events, one `event: <type>` per store event, for tailing.
 * A comment line every heartbeat keeps proxies from closing an idle stream. The browser's
 * EventSource cannot send an Authorization header: the dashboard reads it with fetch() instead.
 * Returns a function that ends every open stream (server shutdown).
 */
export function eventStreamRoutes(app: FastifyInstance, deps: HttpDeps): () => void {
  const open = new Set<() => void>();
  const heartbeatMs = deps.heartbeatMs ?? 15_000;

  app.get<{ Querystring: StreamQuery }>('/api/events/stream', {
    schema: {
      tags: ['events'],
      summary: 'Live events as Server-Sent Events (text/event-stream); `event:` is the event type, `data:` the event as JSON',
      querystring: {
        type: 'object',
        properties: {
          types: { type: 'string', description: 'comma-separated event types (attempt, report, flag, ...); default all' },
          rcpt: { type: 'string', description: 'only events about this address' },
          queueId: { type: 'string', description: 'only events about this message' },
          category: { type: 'string', enum: [...CATEGORIES], description: 'only attempts and reports in this category' },
        },
      },
      response: { 200: { description: 'text/event-stream', type: 'string' }, ...errorResponses(401) },
    },
  }, (req, reply) => {
    const q = req.query;
    const types = q.types ? new Set(q.types.split(',').map((t) => t.trim()).filter(Boolean)) : null;
    const rcpt = q.rcpt?.toLowerCase();
    const wanted = (e: RecipientEvent): boolean =>
      (!types || types.has(e.type)) &&
      (!rcpt || rcptsOf(e).some((r) => r.toLowerCase() === rcpt)) &&
      (!q.queueId || ('queueId' in e && e.queueId === q.queueId)) &&
      (!q.category || ('category' in e && e.category === q.category));

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    const write = (e: RecipientEvent) => {
      if (wanted(e)) res.write(`id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(eventView(e))}\n\n`);
    };
    // A reconnecting client names the last event it saw; send what it missed, if still recent.
    const lastId = req.headers['last-event-id'];
    if (typeof lastId === 'string' && lastId) {
      const recent = deps.store.recentEvents(deps.clock.now() - REPLAY_MS);
      const at = recent.findIndex((e) => e.id === lastId);
      if (at >= 0) for (const e of recent.slice(at + 1)) write(e);
    }
    res.write(`retry: 3000\n: connected\n\n`);
    const unsubscribe = deps.store.subscribe(write);
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), heartbeatMs);
    heartbeat.unref();
    const end = () => {
      if (!open.delete(end)) return;
      clearInterval(heartbeat);
      unsubscribe();
      res.end();
    };
    open.add(end);
    req.raw.on('close', end);
    res.on('error', end);
  });

  return () => {
    for (const end of [...open]) end();
  };
}
