import type { FastifyInstance } from 'fastify';
import type { MxResolver } from '../../delivery/route.js';
import { checkAddress } from '../address-check.js';
import { errorResponses } from '../errors.js';
import type { HttpDeps } from '../types.js';
import { findRecipient } from './view.js';

const checkSchema = {
  tags: ['addresses'],
  summary: 'Check an address: syntax, whether its domain receives mail (MX), a typo suggestion, and what Rebound knows of it',
  querystring: { type: 'object', properties: { email: { type: 'string', minLength: 1, maxLength: 1000 } }, required: ['email'] },
  response: {
    200: {
      type: 'object',
      properties: {
        email: { type: 'string' },
        deliverable: { type: 'boolean' },
        syntax: {
          type: 'object',
          properties: { valid: { type: 'boolean' }, error: { type: ['string', 'null'] }, local: { type: ['string', 'null'] }, domain: { type: ['string', 'null'] } },
        },
        mx: {
          type: ['object', 'null'],
          properties: {
            status: { type: 'string', enum: ['ok', 'no-mx', 'null-mx', 'nxdomain', 'error'] },
            hosts: { type: 'array', items: { type: 'string' } },
            detail: { type: ['string', 'null'] },
          },
        },
        suggestion: { type: ['string', 'null'], description: 'the address with a likely domain typo fixed' },
        known: {
          type: ['object', 'null'],
          description: 'Rebound\'s record of this address, if it has sent to it',
          properties: { invalid: { type: 'boolean' }, suppressed: { type: 'boolean' }, reason: { type: ['string', 'null'] }, category: { type: ['string', 'null'] } },
        },
      },
    },
    ...errorResponses(400, 401),
  },
} as const;

export function checkAddressRoutes(app: FastifyInstance, deps: HttpDeps, resolver: MxResolver): void {
  app.get<{ Querystring: { email: string } }>('/api/check-address', { schema: checkSchema }, async (req) => {
    const result = await checkAddress(req.query.email, resolver);
    const r = result.syntax.valid ? await findRecipient(deps.store, req.query.email.trim()) : undefined;
    return { ...result, known: r ? { invalid: r.invalid, suppressed: r.suppressed, reason: r.reason, category: r.category } : null };
  });
}
