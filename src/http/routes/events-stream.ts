import type { FastifyInstance } from 'fastify';
import { CATEGORIES } from '../../classify/index.js';
import { addressKey } from '../../util/address-key.js';
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
    const rcpt = q.rcpt ? addressKey(q.rcpt) : null;
    const wanted = (e: RecipientEvent): boolean =>
      (!types || types.has(e.type)) &&
      (!rcpt || rcptsOf(e).some((r) => addressKey(r) === rcpt)) &&
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
    // Live events are held back while a reconnecting client gets what it missed, then follow it.
    let held: RecipientEvent[] | null = [];
    const unsubscribe = deps.store.subscribe((e) => (held ? held.push(e) : write(e)));
    void (async () => {
      // A reconnecting client names the last event it saw; send what it missed, if still recent.
      const lastId = req.headers['last-event-id'];
      const sent = new Set<string>();
      if (typeof lastId === 'string' && lastId) {
        let found = false;
        for await (const e of deps.store.eventsSince(deps.clock.now() - REPLAY_MS)) {
          if (found) {
            write(e);
            sent.add(e.id);
          } else if (e.id === lastId) found = true;
        }
      }
      res.write(`retry: 3000\n: connected\n\n`);
      for (const e of held ?? []) if (!sent.has(e.id)) write(e);
      held = null;
    })().catch((err: Error) => {
      deps.logger.error({ err: err.message }, 'http: event stream replay failed');
      end();
    });
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
