import { randomUUID } from 'node:crypto';
import { clearFlag, suppress, unsuppress } from '../recipients/index.js';
import type { Store } from '../store/index.js';
import type { RecipientRecord } from '../types.js';

/** What an operator can do to a recipient; used by the CLI, the control socket and the HTTP API alike. */
export interface RecipientActions {
  clear(email: string): RecipientRecord | null;
  suppress(email: string, reason: string): RecipientRecord;
  unsuppress(email: string): RecipientRecord | null;
}

export function recipientActions(store: Store, now: () => number, afterUnsuppress?: (email: string) => void): RecipientActions {
  const event = (type: 'clear' | 'suppress' | 'unsuppress', rcpt: string) =>
    store.appendEvent({ type, id: randomUUID(), time: now(), rcpt, reason: null, queueId: null, by: 'operator' });
  return {
    clear(email) {
      const prev = store.getRecipient(email);
      if (!prev) return null;
      const { record, change } = clearFlag(prev, now());
      if (change) {
        store.putRecipient(record);
        event('clear', email);
      }
      return record;
    },
    suppress(email, reason) {
      const { record, changed } = suppress(store.getRecipient(email), email, reason, now());
      if (changed) {
        store.putRecipient(record);
        event('suppress', email);
      }
      return record;
    },
    unsuppress(email) {
      const prev = store.getRecipient(email);
      if (!prev) return null;
      const { record, changed } = unsuppress(prev, now());
      if (changed) {
        store.putRecipient(record);
        event('unsuppress', email);
        afterUnsuppress?.(email);
      }
      return record;
    },
  };
}
