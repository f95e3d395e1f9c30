// JSON schemas of the records the API returns. They validate nothing on the way out, but
// fastify serialises with them (fields not listed here are dropped) and the OpenAPI document
// is generated from them, so they must match src/types.ts.
import { CATEGORIES, REASONS } from '../classify/index.js';
import { errorBodySchema } from './errors.js';

const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
const bool = { type: 'boolean' } as const;
const nullable = <T extends { type: string }>(s: T) => ({ ...s, type: [s.type, 'null'] });
const time = { type: 'integer', description: 'epoch milliseconds' } as const;
const nullableTime = { type: ['integer', 'null'], description: 'epoch milliseconds' } as const;
const reason = { type: ['string', 'null'], enum: [...REASONS, null] } as const;
const category = { type: ['string', 'null'], enum: [...CATEGORIES, null] } as const;

export const messageRecipientSchema = {
  $id: 'MessageRecipient',
  type: 'object',
  properties: {
    rcpt: str, status: { type: 'string', enum: ['queued', 'deferred', 'delivered', 'bounced', 'expired'] },
    attempts: int, lastCode: nullable(int), lastEnhanced: nullable(str), lastResponse: nullable(str), lastMx: nullable(str),
    updatedAt: time,
    invalid: { type: 'boolean', description: 'the address is flagged invalid now (from its recipient record)' },
    reason: { ...reason, description: 'the recipient record\'s reason now' },
    category: { ...category, description: 'the recipient record\'s category now' },
    outcomeCategory: { ...category, description: 'the category of this recipient\'s latest failure or report in this message (Spam after a complaint, Autoresponder after an out-of-office)' },
    outcomeReason: { ...reason, description: 'the reason of that failure or report' },
  },
  required: ['rcpt', 'status', 'attempts'],
} as const;

export const messageSchema = {
  $id: 'Message',
  type: 'object',
  properties: {
    queueId: str, messageId: nullable(str), from: str, user: nullable(str), clientIp: str, size: int,
    receivedAt: time, nextAttemptAt: nullableTime, status: { type: 'string', enum: ['queued', 'done'] },
    rcpts: { type: 'array', items: { $ref: 'MessageRecipient#' } },
  },
  required: ['queueId', 'status', 'rcpts'],
} as const;

export const recipientSchema = {
  $id: 'Recipient',
  type: 'object',
  properties: {
    email: str, invalid: bool, reason, category,
    lastStatus: { type: ['string', 'null'], enum: ['queued', 'deferred', 'delivered', 'bounced', 'expired', null] },
    lastEventAt: nullableTime, lastQueueId: nullable(str), lastResponse: nullable(str),
    consecutiveFailures: int, attemptsSinceFlag: int, flaggedAt: nullableTime, deliveredCount: int, failedCount: int,
    suppressed: bool, suppressedAt: nullableTime, suppressedReason: nullable(str), reconciledCount: int,
    clearedBy: { type: ['string', 'null'], enum: ['delivery', 'success-dsn', 'reconcile', 'bounce-window', 'operator', null] },
    clearedAt: nullableTime,
    awaiting: { type: ['object', 'null'], properties: { queueId: str, since: time } },
  },
  required: ['email', 'invalid', 'suppressed'],
} as const;

/** Events are a union of several shapes (src/types.ts RecipientEvent); every field is passed through. */
export const eventSchema = {
  $id: 'Event',
  type: 'object',
  description: 'A RecipientEvent: attempt, integration, report, reconcile, flag, clear, suppress or unsuppress.',
  properties: { type: str, id: str, time, description: { type: 'string', description: 'one human line' } },
  required: ['type', 'id', 'time'],
  additionalProperties: true,
} as const;

export const categoryInfoSchema = {
  $id: 'CategoryInfo',
  type: 'object',
  properties: { category: str, why: str, todo: str },
  required: ['category', 'why', 'todo'],
} as const;

export const SHARED_SCHEMAS = [errorBodySchema, messageRecipientSchema, messageSchema, recipientSchema, eventSchema, categoryInfoSchema];

export const ref = (id: string) => ({ $ref: `${id}#` });
export const arrayOf = (id: string) => ({ type: 'array', items: ref(id) });
export const emailParam = { type: 'object', properties: { email: { type: 'string', minLength: 3, maxLength: 320 } }, required: ['email'] } as const;
