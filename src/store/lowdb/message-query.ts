import type { MessageRecord, RecipientEvent } from '../../types.js';
import { addressKey } from '../../util/address-key.js';
import type { MessageQuery } from '../types.js';

/**
 * Whether one of the message's events says a recipient failed with the asked reason and category:
 * a failed attempt (deferred, bounced, expired) or a report; both fields on the same event.
 */
function failedWith(events: RecipientEvent[], rcptKey: string | null, q: MessageQuery): boolean {
  return events.some((e) => {
    if (e.type !== 'attempt' && e.type !== 'report') return false;
    if (e.type === 'attempt' && e.status === 'delivered') return false;
    if (rcptKey !== null && (!e.rcpt || addressKey(e.rcpt) !== rcptKey)) return false;
    return (!q.failedReason || e.reason === q.failedReason) && (!q.failedCategory || e.category === q.failedCategory);
  });
}

/**
 * The test a message must pass for `q`, beside its receivedAt bounds (the index answers those by
 * position); null when there is nothing else to test. `eventsOf` gives a message's events.
 */
export function compileMessageQuery(q: MessageQuery, eventsOf: (queueId: string) => RecipientEvent[]): ((m: MessageRecord) => boolean) | null {
  const rcptKey = q.rcpt ? addressKey(q.rcpt) : null;
  const tests: Array<(m: MessageRecord) => boolean> = [];
  if (q.status) tests.push((m) => m.status === q.status);
  if (q.rcptStatus) tests.push((m) => m.rcpts.some((r) => r.status === q.rcptStatus && (rcptKey === null || addressKey(r.rcpt) === rcptKey)));
  else if (rcptKey !== null) tests.push((m) => m.rcpts.some((r) => addressKey(r.rcpt) === rcptKey));
  if (q.failedReason || q.failedCategory) tests.push((m) => failedWith(eventsOf(m.queueId), rcptKey, q));
  if (!tests.length) return null;
  if (tests.length === 1) return tests[0]!;
  return (m) => tests.every((t) => t(m));
}
