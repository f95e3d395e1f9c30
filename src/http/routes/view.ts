// Shapes the API returns that are derived from store records and events (shared by the routes).
import { describeEvent } from '../../recipients/index.js';
import type { Store } from '../../store/index.js';
import type { RecipientEvent, RecipientRecord } from '../../types.js';

/** An event as the API shows it: every field, plus one human line. */
export function eventView(e: RecipientEvent): RecipientEvent & { description: string } {
  return { ...e, description: describeEvent(e) };
}

/** The recipient record for any spelling of the address (the store keys by addressKey). */
export function findRecipient(store: Store, email: string): Promise<RecipientRecord | undefined> {
  return store.getRecipient(email);
}

/** The recipient (or recipients) an event is about. */
export function rcptsOf(e: RecipientEvent): string[] {
  if (e.type === 'integration') return e.rcpts;
  if ('rcpt' in e && e.rcpt) return [e.rcpt];
  return [];
}
