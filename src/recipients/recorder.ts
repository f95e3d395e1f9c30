import { randomUUID } from 'node:crypto';
import type { Store } from '../store/index.js';
import type { Attempt, IntegrationCause, RecipientEvent } from '../types.js';
import { applyAttempt } from './reduce.js';

/** Turns delivery outcomes into events and keeps the recipient view in step with them. */
export class OutcomeRecorder {
  constructor(private readonly store: Store) {}

  recordAttempt(a: Attempt): void {
    const time = a.finishedAt;
    this.store.appendEvent({ type: 'attempt', id: randomUUID(), time, ...a });
    const { record, change } = applyAttempt(this.store.getRecipient(a.rcpt), a);
    if (!a.integration) this.store.putRecipient(record);
    if (change) {
      const ev: RecipientEvent = {
        type: change, id: randomUUID(), time, rcpt: a.rcpt, reason: a.reason ?? null, queueId: a.queueId, by: 'attempt',
      };
      this.store.appendEvent(ev);
    }
  }

  recordIntegration(e: { queueId: string; cause: IntegrationCause; mx: string | null; code: number | null; response: string; rcpts: string[]; time: number }): void {
    this.store.appendEvent({ type: 'integration', id: randomUUID(), ...e });
  }
}
