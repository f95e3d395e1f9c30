import { randomUUID } from 'node:crypto';
import { clearFlag, suppress, unsuppress } from '../recipients/index.js';
import type { Store } from '../store/index.js';
import type { RecipientEvent, RecipientRecord } from '../types.js';

/** What an operator can do to a recipient; used by the CLI, the control socket and the HTTP API alike. */
export interface RecipientActions {
  clear(email: string): Promise<RecipientRecord | null>;
  suppress(email: string, reason: string): Promise<RecipientRecord>;
  unsuppress(email: string): Promise<RecipientRecord | null>;
}

/** Each action is one atomic recipient update: the record and its operator event are written together. */
export function recipientActions(store: Store, now: () => number, afterUnsuppress?: (email: string) => void): RecipientActions {
  const event = (type: 'clear' | 'suppress' | 'unsuppress', rcpt: string, time: number, id: string): RecipientEvent =>
    ({ type, id, time, rcpt, reason: null, queueId: null, by: 'operator' });
  return {
    async clear(email) {
      const at = now();
      const id = randomUUID();
      const r = await store.updateRecipient(email, (prev) => {
        if (!prev) return { record: null };
        const { record, change } = clearFlag(prev, at);
        return change ? { record, events: [event('clear', email, at, id)] } : { record: null };
      });
      return r ?? null;
    },
    async suppress(email, reason) {
      const at = now();
      const id = randomUUID();
      const r = await store.updateRecipient(email, (prev) => {
        const { record, changed } = suppress(prev, email, reason, at);
        return changed ? { record, events: [event('suppress', email, at, id)] } : { record: null };
      });
      return r!;
    },
    async unsuppress(email) {
      const at = now();
      const id = randomUUID();
      let changed = false;
      const r = await store.updateRecipient(email, (prev) => {
        changed = false;
        if (!prev) return { record: null };
        const u = unsuppress(prev, at);
        changed = u.changed;
        return u.changed ? { record: u.record, events: [event('unsuppress', email, at, id)] } : { record: null };
      });
      if (changed) afterUnsuppress?.(email);
      return r ?? null;
    },
  };
}
