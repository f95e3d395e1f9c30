// Query objects (MessageQuery, RecipientQuery) to SQL conditions, each backed by an index of
// migrations/001-initial.ts.
import { addressKey } from '../../util/address-key.js';
import type { MessageQuery, RecipientQuery } from '../types.js';
import { keyStatus } from './rows.js';
import { type Params, likePrefix } from './sql-params.js';

/**
 * A message query as SQL: the table that drives it (`d`, walked in (received_at, queue_id) order
 * by an index), joined to `messages m`, and the conditions. The narrowest filter drives: one
 * recipient (message_rcpts by key), else a failure reason or category (message_failures), else
 * a recipient state (message_rcpts by status), else the message list itself. A driving row per
 * recipient can name a message twice: `distinct` says the page must keep one of each.
 */
export interface MessageSql {
  from: string;
  conditions: string[];
  distinct: boolean;
  /** The message row's alias: `m` when joined, `d` when the list itself drives. */
  m: 'm' | 'd';
}

export function messageSql(q: MessageQuery, p: Params): MessageSql {
  const c: string[] = [];
  const key = q.rcpt ? addressKey(q.rcpt) : null;
  const failed = !!(q.failedReason || q.failedCategory);
  const failureConditions = (t: string) => [
    ...(q.failedReason ? [`${t}.reason = ${p.add(q.failedReason)}`] : []),
    ...(q.failedCategory ? [`${t}.category = ${p.add(q.failedCategory)}`] : []),
  ];
  let from = 'messages m';
  let distinct = true;
  let rcptStatusDone = false;
  let failedDone = false;
  if (key) {
    from = 'message_rcpts d JOIN messages m ON m.queue_id = d.queue_id';
    c.push(`d.rcpt_key = ${p.add(key)}`);
    if (q.rcptStatus) c.push(`d.status = ${p.add(q.rcptStatus)}`);
    rcptStatusDone = true;
  } else if (failed) {
    from = 'message_failures d JOIN messages m ON m.queue_id = d.queue_id';
    c.push(...failureConditions('d'));
    failedDone = true;
  } else if (q.rcptStatus) {
    from = 'message_rcpts d JOIN messages m ON m.queue_id = d.queue_id';
    c.push(`d.status = ${p.add(q.rcptStatus)}`);
    rcptStatusDone = true;
  } else {
    from = 'messages d';
    distinct = false;
  }
  if (q.rcptStatus && !rcptStatusDone) c.push(`EXISTS (SELECT 1 FROM message_rcpts x WHERE x.queue_id = m.queue_id AND x.status = ${p.add(q.rcptStatus)})`);
  if (failed && !failedDone) {
    const f = ['f.queue_id = m.queue_id', ...(key ? [`f.rcpt_key = ${p.add(key)}`] : []), ...failureConditions('f')];
    c.push(`EXISTS (SELECT 1 FROM message_failures f WHERE ${f.join(' AND ')})`);
  }
  const m = distinct ? 'm' : 'd';
  if (q.status) c.push(`${m}.status = ${p.add(q.status)}`);
  if (q.since !== undefined) c.push(`d.received_at >= ${p.add(q.since)}`);
  if (q.until !== undefined) c.push(`d.received_at < ${p.add(q.until)}`);
  return { from, conditions: c, distinct, m };
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
