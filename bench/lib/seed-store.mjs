// Fills a store with n delivered-or-bounced messages (one recipient each, every tenth bounced as
// user unknown and flagged), their attempt events and recipient records, for the read benchmarks.
import { randomUUID } from 'node:crypto';

export async function seedStore(store, n, { domains = 500 } = {}) {
  const now = Date.now();
  for (let i = 0; i < n; i++) {
    const email = `user${i}@example${i % domains}.org`;
    const queueId = `Q${String(i).padStart(15, '0')}`;
    const bad = i % 10 === 0;
    const at = now - (n - i) * 1000;
    const status = bad ? 'bounced' : 'delivered';
    const response = bad ? `550 5.1.1 <${email}>: Recipient address rejected: User unknown` : '250 2.0.0 Ok: queued as ABC';
    store.putMessage({
      queueId, messageId: `${queueId}@bench`, from: 'shop@example.com', user: null, clientIp: '127.0.0.1', size: 2048, receivedAt: at, nextAttemptAt: null,
      status: 'done', rcpts: [{ rcpt: email, status, attempts: 1, lastCode: bad ? 550 : 250, lastEnhanced: bad ? '5.1.1' : '2.0.0', lastResponse: response, lastMx: 'mx.example', updatedAt: at + 500 }],
    });
    store.appendEvents([{
      type: 'attempt', id: randomUUID(), time: at + 500, queueId, messageId: `${queueId}@bench`, rcpt: email, attempt: 1, status, stage: bad ? 'rcpt' : 'data',
      code: bad ? 550 : 250, enhanced: bad ? '5.1.1' : '2.0.0', response, mx: 'mx.example', ip: '192.0.2.1', tls: true, startedAt: at, finishedAt: at + 500,
      ...(bad ? { reason: 'userunknown', category: 'Invalid Email', hard: true } : {}),
    }]);
    store.putRecipient({
      email, invalid: bad, reason: bad ? 'userunknown' : null, category: bad ? 'Invalid Email' : null, lastStatus: status, lastEventAt: at + 500, lastQueueId: queueId,
      lastResponse: response, consecutiveFailures: bad ? 1 : 0, attemptsSinceFlag: 0, flaggedAt: bad ? at + 500 : null, deliveredCount: bad ? 0 : 1, failedCount: bad ? 1 : 0,
      suppressed: false, suppressedAt: null, suppressedReason: null, reconciledCount: 0,
    });
    // Writes are issued without waiting (lowdb applies them at once); one commit now and then bounds the waiters.
    if (i % 10_000 === 9_999) await store.durable();
  }
  await store.durable();
}
