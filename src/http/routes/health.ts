import type { FastifyInstance } from 'fastify';
import type { Readiness } from '../types.js';

/** /healthz: the process answers. /readyz: every named part is up (503 and the failing names otherwise). No token needed. */
export function healthRoutes(app: FastifyInstance, readiness: Readiness): void {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    const checks = readiness();
    const ready = Object.values(checks).every(Boolean);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });
}
