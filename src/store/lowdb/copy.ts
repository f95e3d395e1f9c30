import type { MessageRecord, RecipientEvent } from '../../types.js';

// The store hands out values, never its own objects (AsyncStore's first rule): what a caller
// changes in a record it wrote or read changes nothing here. Messages and events are at most two
// levels deep (a message's recipients; an integration event's addresses, a reconcile's evidence).

export function copyMessage(m: MessageRecord): MessageRecord {
  return { ...m, rcpts: m.rcpts.map((r) => ({ ...r })) };
}

export function copyEvent<E extends RecipientEvent>(e: E): E {
  const c = { ...e } as Record<string, unknown>;
  for (const k in c) {
    const v = c[k];
    if (v !== null && typeof v === 'object') c[k] = Array.isArray(v) ? v.slice() : { ...v };
  }
  return c as E;
}
