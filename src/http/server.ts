import path from 'node:path';
import { fileURLToPath } from 'node:url';
import swagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import { systemMxResolver } from '../delivery/route.js';
import { bearerToken, FailureLimiter, TokenVerifier } from './auth.js';
import { sendError } from './errors.js';
import { categoryRoutes } from './routes/categories.js';
import { checkAddressRoutes } from './routes/check-address.js';
import { eventStreamRoutes } from './routes/events-stream.js';
import { healthRoutes } from './routes/health.js';
import { insightRoutes } from './routes/insights.js';
import { messageRoutes } from './routes/messages.js';
import { recipientRoutes } from './routes/recipients.js';
import { reconcileRoutes } from './routes/reconcile.js';
import { staticRoutes } from './routes/static.js';
import { statsRoutes } from './routes/stats.js';
import { webhookRoutes } from './routes/webhooks.js';
import { SHARED_SCHEMAS } from './schemas.js';
import type { HttpDeps } from './types.js';

export type { HttpDeps, HttpConfig, Resender, QueueView, ReconcileRunner, Diagnoser, Readiness } from './types.js';

/** The dashboard's policy, sent as a header (frame-ancestors only works there, not in a meta tag). */
export const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** src/http/public next to this module (dist/http/public once the build copies it). */
export const DEFAULT_PUBLIC_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'public');

export interface HttpServer {
  app: FastifyInstance;
  host: string;
  port: number;
  /** http://host:port */
  url: string;
  close(): Promise<void>;
}

/**
 * The API, dashboard and metrics as a fastify instance, not yet listening (tests use inject()).
 * Everything under /api needs `Authorization: Bearer <token>`; so does /metrics unless
 * `metricsPublic`. /healthz, /readyz and the dashboard's static files do not.
 */
export async function buildHttpApp(deps: HttpDeps): Promise<FastifyInstance> {
  const logger: FastifyBaseLogger = deps.logger.child({ component: 'http' });
  const app = Fastify({
    loggerInstance: logger,
    // Per-request lines at info would drown the relay's own log; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    forceCloseConnections: 'idle',
    ajv: { customOptions: { removeAdditional: false } },
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Rebound API', version: '1', description: 'SMTP relay and bounce server: messages, recipients, reports, diagnosis.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    refResolver: { buildLocalReference: (json, _base, _frag, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  for (const s of SHARED_SCHEMAS) app.addSchema(s);

  const verifier = new TokenVerifier(deps.config.tokens);
  if (deps.signInToken) verifier.allow(deps.signInToken);
  const limiter = new FailureLimiter(deps.config.maxTokenFailures ?? 10, deps.config.tokenFailureWindowMs ?? 60_000, () => deps.clock.now());
  const isProtected = (p: string) => p === '/api' || p.startsWith('/api/') || (!deps.config.metricsPublic && p === '/metrics');
  app.addHook('onRequest', async (req, reply) => {
    // Judged on the route that matched, not the raw URL: the router decodes "/%61pi/..." to "/api/...".
    const route = req.routeOptions.url;
    if (!(route !== undefined && isProtected(route)) && !isProtected(decodedPath(req.url))) return;
    const token = bearerToken(req.headers.authorization);
    if (!token) {
      reply.header('www-authenticate', 'Bearer realm="rebound"');
      return sendError(reply, 401, 'unauthorized', 'send Authorization: Bearer <token> (tokens are configured in http.tokens)');
    }
    if (verifier.knownGood(token)) return;
    const wait = limiter.blockedFor(req.ip);
    if (wait > 0) {
      // A blocked client waits for its answer: a flood on a kept-alive connection slows to one
      // request per delay instead of costing us CPU at full speed. A timer costs nothing.
      await new Promise((r) => setTimeout(r, Math.min(wait, deps.config.blockedDelayMs ?? 1_000)));
      reply.header('retry-after', String(Math.ceil(wait / 1000)));
      return sendError(reply, 429, 'too_many_failures', `too many wrong tokens from ${req.ip}; try again in ${Math.ceil(wait / 1000)} s`);
    }
    if (!(await verifier.verify(token))) {
      limiter.fail(req.ip);
      reply.header('www-authenticate', 'Bearer realm="rebound", error="invalid_token"');
      return sendError(reply, 401, 'unauthorized', 'the bearer token is not one of http.tokens');
    }
  });
  // Every answer, the dashboard's files first: no framing (clickjacking), no sniffing, no referrer.
  app.addHook('onSend', async (_req, reply) => {
    reply.header('content-security-policy', CSP);
    reply.header('x-frame-options', 'DENY');
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err.validation) return sendError(reply, 400, 'bad_request', err.message);
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    if (status >= 500) req.log.error({ err, url: req.url }, 'http: request failed');
    return sendError(reply, status, status >= 500 ? 'internal' : (err.code ?? 'bad_request').toLowerCase(), status >= 500 ? 'internal error; see the server log' : err.message);
  });
  app.setNotFoundHandler((req, reply) => sendError(reply, 404, 'not_found', `no route ${req.method} ${req.url.split('?')[0]}`));

  healthRoutes(app, deps.readiness ?? (() => ({ http: true })));
  messageRoutes(app, deps);
  recipientRoutes(app, deps);
  categoryRoutes(app);
  checkAddressRoutes(app, deps, deps.resolver ?? systemMxResolver([]));
  insightRoutes(app, deps);
  statsRoutes(app, deps);
  reconcileRoutes(app, deps);
  webhookRoutes(app, deps);
  const endStreams = eventStreamRoutes(app, deps);
  app.addHook('preClose', async () => endStreams());

  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  if (deps.metrics) {
    const metrics = deps.metrics;
    app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => reply.type(metrics.contentType).send(await metrics.render()));
  }
  staticRoutes(app, deps.publicDir ?? DEFAULT_PUBLIC_DIR);
  await app.ready();
  return app;
}

function decodedPath(url: string): string {
  const p = url.split('?')[0]!;
  try {
    return decodeURIComponent(p);
  } catch {
    return p;
  }
}

/** Builds the app and listens on `http.host:http.port` (port 0: any free port). */
export async function startHttp(deps: HttpDeps): Promise<HttpServer> {
  const app = await buildHttpApp(deps);
  await app.listen({ host: deps.config.host, port: deps.config.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : deps.config.port;
  const host = deps.config.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  deps.logger.info({ http: port, host }, 'http: listening');
  return { app, host, port, url, close: () => app.close() };
}
