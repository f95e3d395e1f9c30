import { createWriteStream, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance } from 'fastify';
import { LOG_FORMATS, type LogFormat } from '../../reconcile/index.js';
import { errorResponses, sendError } from '../errors.js';
import { parseTime, TIME_HELP } from '../query.js';
import type { HttpDeps } from '../types.js';

interface ReconcileQuery {
  format?: LogFormat;
  utcOffset?: number;
  dryRun?: boolean;
  since?: string;
  name?: string;
}

class TooLarge extends Error {}

/**
 * POST /api/reconcile: the body is one delivery log (Postfix, Exim, Exchange, ...). It is streamed
 * to a temporary file, so a large log never sits in memory, and read by the same reconcile() the
 * CLI runs.
 */
export function reconcileRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const maxBytes = deps.config.maxUploadBytes ?? 256 * 1024 * 1024;
  // Own scope: the raw-stream body parser applies to this route only.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
    scope.post<{ Querystring: ReconcileQuery; Body: NodeJS.ReadableStream }>('/api/reconcile', {
      schema: {
        tags: ['diagnosis'],
        summary: 'Upload a delivery log (request body, any content type); its records are matched against Rebound\'s failures',
        querystring: {
          type: 'object',
          properties: {
            format: { type: 'string', enum: [...LOG_FORMATS], description: 'default: detected from the content' },
            utcOffset: { type: 'integer', minimum: -840, maximum: 840, description: 'offset of zone-less log timestamps from UTC, in minutes (default: this server\'s zone)' },
            dryRun: { type: 'boolean', description: 'report what would change without writing' },
            since: { type: 'string', description: `ignore records before: ${TIME_HELP}` },
            name: { type: 'string', maxLength: 200, description: 'file name to show in the evidence (default upload.log)' },
          },
        },
        response: { 200: { type: 'object', additionalProperties: true }, ...errorResponses(400, 401, 413, 501) },
      },
    }, async (req, reply) => {
      if (!deps.reconcile) return sendError(reply, 501, 'not_available', 'reconciliation is not wired into this server');
      // No body at all (no Content-Length, no chunks): fastify hands the handler no stream.
      if (!req.body) return sendError(reply, 400, 'empty_body', 'send the log file as the request body');
      const q = req.query;
      const since = q.since !== undefined ? parseTime(q.since, deps.clock.now()) : null;
      if (q.since !== undefined && since === null) return sendError(reply, 400, 'bad_since', `since: use ${TIME_HELP}`);
      const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'rebound-reconcile-'));
      const file = path.join(dir, path.basename(q.name || 'upload.log').replace(/[^\w.-]/g, '_') || 'upload.log');
      try {
        let size = 0;
        const limit = new Transform({
          transform(chunk: Buffer, _enc, cb) {
            size += chunk.length;
            cb(size > maxBytes ? new TooLarge() : null, chunk);
          },
        });
        await pipeline(req.body, limit, createWriteStream(file));
        if (size === 0) return sendError(reply, 400, 'empty_body', 'send the log file as the request body');
        return await deps.reconcile([file], {
          ...(q.format ? { format: q.format } : {}), ...(q.dryRun ? { dryRun: true } : {}), ...(q.utcOffset !== undefined ? { utcOffsetMinutes: q.utcOffset } : {}), ...(since !== null ? { since: new Date(since) } : {}),
        });
      } catch (err) {
        if (err instanceof TooLarge) return sendError(reply, 413, 'too_large', `the log is larger than ${maxBytes} bytes; split it, or run \`rebound reconcile FILE\` on the host`);
        const code = (err as { code?: string }).code;
        if (typeof code === 'string' && code.startsWith('RECONCILE_')) return sendError(reply, 400, code.toLowerCase(), (err as Error).message);
        throw err;
      } finally {
        await fsp.rm(dir, { recursive: true, force: true });
      }
    });
  });
}
