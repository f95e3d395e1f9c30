import type { Envelope, MessageRecord } from '../types.js';

/** The store's record of a message just accepted: every recipient queued, nothing tried yet. */
export function newMessageRecord(env: Envelope): MessageRecord {
  return {
    queueId: env.queueId, messageId: env.messageId, from: env.from, user: env.user, clientIp: env.clientIp,
    size: env.size, receivedAt: env.receivedAt, nextAttemptAt: env.receivedAt, status: 'queued',
    rcpts: env.rcpts.map((rcpt) => ({
      rcpt, status: 'queued', attempts: 0, lastCode: null, lastEnhanced: null, lastResponse: null, lastMx: null, updatedAt: env.receivedAt,
    })),
  };
}
