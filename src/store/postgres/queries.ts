// Query objects (MessageQuery, RecipientQuery) to SQL conditions, each backed by an index of
// migrations/001-initial.ts.
import { addressKey } from '../../util/address-key.js';
import type { MessageQuery, RecipientQuery } from '../types.js';
import { keyStatus } from './rows.js';
import { type Params, likePrefix } from './sql-params.js';

/** Conditions on `messages m`. */
export function messageConditions(q: MessageQuery, p: Params): string[] {
  const c: string[] = [];
  if (q.status) c.push(`m.status = ${p.add(q.status)}`);
  const key = q.rcpt ? addressKey(q.rcpt) : null;
  if (key && q.rcptStatus) c.push(`m.rcpt_key_status @> ARRAY[${p.add(keyStatus(q.rcptStatus, key))}]::text[]`);
  else if (key) c.push(`m.rcpt_keys @> ARRAY[${p.add(key)}]::text[]`);
  else if (q.rcptStatus) c.push(`m.rcpt_statuses @> ARRAY[${p.add(q.rcptStatus)}]::text[]`);
  if (q.failedReason || q.failedCategory) {
    const f = ['e.failure', 'e.queue_id = m.queue_id'];
    if (q.failedReason) f.push(`e.reason = ${p.add(q.failedReason)}`);
    if (q.failedCategory) f.push(`e.category = ${p.add(q.failedCategory)}`);
    if (key) f.push(`e.rcpt_key = ${p.add(key)}`);
    c.push(`EXISTS (SELECT 1 FROM events e WHERE ${f.join(' AND ')})`);
  }
  if (q.since !== undefined) c.push(`m.received_at >= ${p.add(q.since)}`);
  if (q.until !== undefined) c.push(`m.received_at < ${p.add(q.until)}`);
  return c;
}

/** Conditions on `recipients r`. Booleans are written as literals so the partial indexes apply. */
export function recipientConditions(q: RecipientQuery, p: Params): string[] {
  const c: string[] = [];
  if (q.invalid !== undefined) c.push(q.invalid ? 'r.invalid' : 'NOT r.invalid');
  if (q.suppressed !== undefined) c.push(q.suppressed ? 'r.suppressed' : 'NOT r.suppressed');
  if (q.category) c.push(`r.category = ${p.add(q.category)}`);
  if (q.prefix) c.push(`r.addr_key LIKE ${p.add(likePrefix(addressKey(q.prefix)))}`);
  return c;
}

export const where = (c: string[]): string => (c.length ? `WHERE ${c.join(' AND ')}` : '');
