import type { FastifyInstance } from 'fastify';
import { errorResponses } from '../errors.js';
import type { HttpDeps } from '../types.js';

export function webhookRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.get('/api/webhooks', {
    schema: {
      tags: ['webhooks'],
      summary: 'Each webhook endpoint\'s delivery state: backlog, failures, last error, next retry',
      response: {
        200: {
          type: 'object',
          properties: {
            endpoints: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  url: { type: 'string' }, events: { type: ['array', 'null'], items: { type: 'string' } }, pending: { type: 'integer' },
                  delivered: { type: 'integer' }, dropped: { type: 'integer' }, consecutiveFailures: { type: 'integer' },
                  lastSuccessAt: { type: ['integer', 'null'] }, lastFailureAt: { type: ['integer', 'null'] }, lastError: { type: ['string', 'null'] },
                  nextAttemptAt: { type: ['integer', 'null'] },
                },
              },
            },
          },
        },
        ...errorResponses(401),
      },
    },
  }, async () => ({ endpoints: deps.webhooks?.status() ?? [] }));
}
