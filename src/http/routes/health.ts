import type { FastifyInstance } from 'fastify';
import type { Readiness } from '../types.js';

/**
 * /healthz: the process answers. /readyz: every named part is up; otherwise 503 with the failing
 * names as false in `checks` and, where a part says why, the cause in `causes`. No token needed.
 */
export function healthRoutes(app: FastifyInstance, readiness: Readiness): void {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    const checks: Record<string, boolean> = {};
    const causes: Record<string, string> = {};
    for (const [name, v] of Object.entries(readiness())) {
      checks[name] = v === true;
      if (typeof v === 'string') causes[name] = v;
    }
    const ready = Object.values(checks).every(Boolean);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks, ...(Object.keys(causes).length ? { causes } : {}) });
  });
}
