// Records to rows and back. Every indexed column is derived here from the record, in one place, so
// a filter and the write that feeds its index cannot disagree.
import { addressKey } from '../../util/address-key.js';
import type { MessageRecord, RecipientEvent, RecipientRecord } from '../../types.js';

export interface MessageRow {
  queue_id: string;
  message_id: string | null;
  received_at: number;
  status: string;
  rcpt_keys: string[];
  rcpt_statuses: string[];
  rcpt_key_status: string[];
  record: string;
}

/** 'status:key': the state one recipient of the message is in (the rcpt + rcptStatus filter). */
export const keyStatus = (status: string, key: string): string => `${status}:${key}`;

export function messageRow(m: MessageRecord): MessageRow {
  const keys = new Set<string>();
  const statuses = new Set<string>();
  const keyStatuses = new Set<string>();
  for (const r of m.rcpts) {
    const key = addressKey(r.rcpt);
    keys.add(key);
    statuses.add(r.status);
    keyStatuses.add(keyStatus(r.status, key));
  }
  return {
    queue_id: m.queueId,
    message_id: m.messageId ? stripBrackets(m.messageId) : null,
    received_at: m.receivedAt,
    status: m.status,
    rcpt_keys: [...keys],
    rcpt_statuses: [...statuses],
    rcpt_key_status: [...keyStatuses],
    record: JSON.stringify(m),
  };
}

export const stripBrackets = (messageId: string): string => messageId.replace(/^<|>$/g, '');

export interface RecipientRow {
  addr_key: string;
  invalid: boolean;
  suppressed: boolean;
  reason: string | null;
  category: string | null;
  flagged_at: number | null;
  suppressed_at: number | null;
  suppressed_reason: string | null;
  active_at: number;
  record: string;
}

export function recipientRow(r: RecipientRecord): RecipientRow {
  return {
    addr_key: addressKey(r.email),
    invalid: !!r.invalid,
    suppressed: !!r.suppressed,
    reason: r.reason ?? null,
    category: r.category ?? null,
    flagged_at: r.flaggedAt ?? null,
    suppressed_at: r.suppressedAt ?? null,
    suppressed_reason: r.suppressedReason ?? null,
    active_at: r.lastEventAt ?? 0,
    record: JSON.stringify(r),
  };
}

/** The indexed columns of an event's row (the event itself is stored whole beside them). */
export interface EventRow {
  id: string;
  time: number;
  type: string;
  queue_id: string | null;
  rcpt_key: string | null;
  rcpt_keys: string[] | null;
  reason: string | null;
  category: string | null;
  failure: boolean;
}

export function eventRow(e: RecipientEvent): EventRow {
  const queueId = 'queueId' in e ? (e.queueId ?? null) : null;
  const rcpt = 'rcpt' in e && e.rcpt ? addressKey(e.rcpt) : null;
  const rcpts = e.type === 'integration' ? [...new Set(e.rcpts.map(addressKey))] : null;
  const reason = 'reason' in e ? (e.reason ?? null) : null;
  const category = 'category' in e ? (e.category ?? null) : null;
  // What a message list's reason/category filter counts as "failed with": an attempt that did not
  // deliver, or a report tied to the message (as the API judged it from the message's events).
  const failure = (e.type === 'attempt' && e.status !== 'delivered') || e.type === 'report';
  return { id: e.id, time: e.time, type: e.type, queue_id: queueId, rcpt_key: rcpt, rcpt_keys: rcpts, reason, category, failure };
}

/**
 * Inserts the events of $1 (eventsParam()) as written by store instance $2, in the order given; an
 * event whose id is stored already is skipped. Returns the id and seq of each new row.
 */
export const INSERT_EVENTS = `INSERT INTO events (id, time, type, queue_id, rcpt_key, rcpt_keys, reason, category, failure, node, payload)
  SELECT id, time, type, queue_id, rcpt_key, rcpt_keys, reason, category, failure, $2, p
    FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (id text, time bigint, type text, queue_id text, rcpt_key text,
      rcpt_keys text[], reason text, category text, failure boolean, p jsonb)) WITH ORDINALITY AS x(id, time, type, queue_id,
      rcpt_key, rcpt_keys, reason, category, failure, p, ord)
   ORDER BY ord
  ON CONFLICT (id) DO NOTHING
  RETURNING id, seq`;

export const eventsParam = (events: RecipientEvent[]): string => JSON.stringify(events.map((e) => ({ ...eventRow(e), p: e })));

/** The rows of $1 (messagesParam()) for an INSERT INTO messages; the caller adds its ON CONFLICT clause. */
export const INSERT_MESSAGES = `INSERT INTO messages (queue_id, message_id, received_at, status, rcpt_keys, rcpt_statuses, rcpt_key_status, record)
  SELECT queue_id, message_id, received_at, status, rcpt_keys, rcpt_statuses, rcpt_key_status, record
    FROM jsonb_to_recordset($1::jsonb) AS x(queue_id text, message_id text, received_at bigint, status text,
      rcpt_keys text[], rcpt_statuses text[], rcpt_key_status text[], record jsonb)`;

export const messagesParam = (ms: MessageRecord[]): string => JSON.stringify(ms.map((m) => ({ ...messageRow(m), record: m })));

/** The rows of $1 (recipientsParam()) for an INSERT INTO recipients; the caller adds its ON CONFLICT clause. */
export const INSERT_RECIPIENTS = `INSERT INTO recipients (addr_key, invalid, suppressed, reason, category, flagged_at, suppressed_at, suppressed_reason, active_at, record)
  SELECT addr_key, invalid, suppressed, reason, category, flagged_at, suppressed_at, suppressed_reason, active_at, record
    FROM jsonb_to_recordset($1::jsonb) AS x(addr_key text, invalid boolean, suppressed boolean, reason text, category text,
      flagged_at bigint, suppressed_at bigint, suppressed_reason text, active_at bigint, record jsonb)`;

export const recipientsParam = (rs: RecipientRecord[]): string => JSON.stringify(rs.map((r) => ({ ...recipientRow(r), record: r })));
