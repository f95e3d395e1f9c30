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

  /**
   * Records the attempt and folds it into its recipient's record as one atomic update (the event,
   * the new record and a flag change are written together; no other update of the address comes
   * between the read and the write). Resolves once durable.
   */
  async recordAttempt(a: Attempt): Promise<void> {
    const time = a.finishedAt;
    const attempt: RecipientEvent = { type: 'attempt', id: randomUUID(), time, ...a };
    // Integration errors say nothing about the recipient: the event alone.
    if (a.integration) return this.store.appendEvents([attempt]);
    // Ids made outside: the change may run again (a database retry) and must stay pure.
    const changeId = randomUUID();
    await this.store.updateRecipient(a.rcpt, (prev) => {
      const { record, change } = applyAttempt(prev, a, this.acceptance);
      const events: RecipientEvent[] = [attempt];
      if (change) events.push({ type: change, id: changeId, time, rcpt: a.rcpt, reason: a.reason ?? null, queueId: a.queueId, by: 'attempt' });
      return { record, events };
    });
  }

  recordIntegration(e: { queueId: string; cause: IntegrationCause; mx: string | null; code: number | null; response: string; rcpts: string[]; time: number }): Promise<void> {
    return this.store.appendEvents([{ type: 'integration', id: randomUUID(), ...e }]);
  }

  /**
   * Clears the flags whose accepted message drew no bounce within `windowMs` (run now and then).
   * Each clear re-reads the record inside its update, so an outcome recorded meanwhile is not
   * overwritten. Returns how many were cleared.
   */
  async settleAwaiting(now: number, windowMs: number): Promise<number> {
    let cleared = 0;
    const awaiting: string[] = [];
    for await (const r of this.store.scanRecipients({ invalid: true })) if (r.awaiting) awaiting.push(r.email);
    for (const email of awaiting) {
      const id = randomUUID();
      let changed = false;
      await this.store.updateRecipient(email, (prev) => {
        changed = false;
        if (!prev?.awaiting) return { record: null };
        const { record, change } = settleAwaiting(prev, now, windowMs);
        if (!change) return { record: null };
        changed = true;
        return { record, events: [{ type: 'clear', id, time: now, rcpt: prev.email, reason: prev.reason, queueId: prev.awaiting.queueId, by: 'bounce-window' }] };
      });
      if (changed) cleared++;
    }
    return cleared;
  }
}
