import type { FastifyInstance } from 'fastify';
import { CATEGORIES, categoryInfo } from '../../classify/index.js';
import { errorResponses } from '../errors.js';
import { arrayOf } from '../schemas.js';

/** GET /api/categories: the six categories with why it happens and what to do, for legends and tooltips. */
export function categoryRoutes(app: FastifyInstance): void {
  app.get('/api/categories', {
    schema: {
      tags: ['recipients'], summary: 'The six failure categories, each with why it happens and what to do',
      response: { 200: { type: 'object', properties: { categories: arrayOf('CategoryInfo') }, required: ['categories'] }, ...errorResponses(401) },
    },
  }, async () => ({ categories: CATEGORIES.map((c) => categoryInfo(c)) }));
}
