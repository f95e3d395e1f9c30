import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { sendError } from '../errors.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png',
  '.ico': 'image/x-icon', '.woff2': 'font/woff2', '.map': 'application/json', '.txt': 'text/plain; charset=utf-8',
};

/**
 * The dashboard's static files at `/` (no token: the page holds no data; it calls the API with one).
 * A small handler instead of @fastify/static: a flat folder of built files needs no more.
 */
export function staticRoutes(app: FastifyInstance, publicDir: string): void {
  const root = path.resolve(publicDir);
  app.get('/*', { schema: { hide: true } }, async (req, reply) => {
    let urlPath: string;
    try {
      urlPath = decodeURIComponent((req.raw.url ?? '/').split('?')[0]!);
    } catch {
      return sendError(reply, 400, 'bad_path', 'the path has a malformed %-escape');
    }
    if (urlPath.startsWith('/api/')) return sendError(reply, 404, 'not_found', `no API route ${req.method} ${urlPath}; see /api/openapi.json`);
    const rel = urlPath === '/' || urlPath.endsWith('/') ? `${urlPath}index.html` : urlPath;
    const file = path.resolve(root, `.${path.posix.normalize(rel)}`);
    if (!file.startsWith(root + path.sep)) return sendError(reply, 404, 'not_found', 'not found');
    const body = await fsp.readFile(file).catch(() => null);
    if (!body) return sendError(reply, 404, 'not_found', `no file ${urlPath}`);
    return reply
      .type(TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream')
      // Revalidate every file: after an upgrade a browser must not mix old and new modules.
      .header('cache-control', 'no-cache')
      .send(body);
  });
}
