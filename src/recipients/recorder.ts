import { randomUUID } from 'node:crypto';
import type { Store } from '../store/index.js';
import type { Attempt, IntegrationCause, RecipientEvent } from '../types.js';
import { applyAttempt, settleAwaiting, type Acceptance } from './reduce.js';

export interface RecorderOptions {
  /** How an upstream 250 counts: 'accepted' when the upstream is a smarthost (it passes mail on), 'final' from the recipient's MX. */
  acceptance?: Acceptance;
}

/** Turns delivery outcomes into events and keeps the recipient view in step with them. */
export class OutcomeRecorder {
  private readonly acceptance: Acceptance;

  constructor(
    private readonly store: Store,
    opts: RecorderOptions = {},
  ) {
    this.acceptance = opts.acceptance ?? 'final';
  }

  recordAttempt(a: Attempt): void {
    const time = a.finishedAt;
    this.store.appendEvent({ type: 'attempt', id: randomUUID(), time, ...a });
    const { record, change } = applyAttempt(this.store.getRecipient(a.rcpt), a, this.acceptance);
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

  /**
   * Clears the flags whose accepted message drew no bounce within `windowMs` (run now and then).
   * Returns how many were cleared.
   */
  settleAwaiting(now: number, windowMs: number): number {
    let cleared = 0;
    for (const prev of this.store.listRecipients({ invalid: true })) {
      if (!prev.awaiting) continue;
      const { record, change } = settleAwaiting(prev, now, windowMs);
      if (!change) continue;
      this.store.putRecipient(record);
      this.store.appendEvent({ type: 'clear', id: randomUUID(), time: now, rcpt: prev.email, reason: prev.reason, queueId: prev.awaiting.queueId, by: 'bounce-window' });
      cleared++;
    }
    return cleared;
  }
}
