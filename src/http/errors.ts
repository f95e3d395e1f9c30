import type { FastifyReply } from 'fastify';

/** Every API error has this body: a stable code to branch on and a message that says what to fix. */
export interface ApiErrorBody {
  error: { code: string; message: string };
}

export const errorBodySchema = {
  $id: 'Error',
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, message: { type: 'string' } },
      required: ['code', 'message'],
    },
  },
  required: ['error'],
} as const;

export function sendError(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).type('application/json').send({ error: { code, message } } satisfies ApiErrorBody);
}

/** Error responses every route may give, for the OpenAPI document. */
export function errorResponses(...codes: number[]): Record<number, { $ref: string }> {
  return Object.fromEntries(codes.map((c) => [c, { $ref: 'Error#' }]));
}
