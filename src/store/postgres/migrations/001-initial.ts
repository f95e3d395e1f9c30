// The first schema. Times are epoch milliseconds (bigint), as in the records; each table keeps the
// whole record as jsonb (what reads return) beside the columns that filters and ordering use, so a
// field added to a record type later is stored without a migration.
export const name = 'initial';

export const sql = `
-- Messages: one row per queue id. rcpt_keys / rcpt_statuses / rcpt_key_status are derived from
-- record.rcpts at every write (addressKey() of each recipient, its status, and 'status:key'), so the
-- recipient filters of a message list are GIN lookups on the row itself.
CREATE TABLE messages (
  queue_id        text PRIMARY KEY,
  message_id      text,
  received_at     bigint NOT NULL,
  status          text NOT NULL,
  rcpt_keys       text[] NOT NULL,
  rcpt_statuses   text[] NOT NULL,
  rcpt_key_status text[] NOT NULL,
  record          jsonb NOT NULL
);
-- Newest first, keyset (received_at, queue_id): the list, since/until, and bucket counts.
CREATE INDEX messages_received ON messages (received_at DESC, queue_id DESC);
CREATE INDEX messages_status_received ON messages (status, received_at DESC, queue_id DESC);
CREATE INDEX messages_message_id ON messages (message_id, received_at DESC) WHERE message_id IS NOT NULL;
CREATE INDEX messages_rcpt_keys ON messages USING gin (rcpt_keys);
CREATE INDEX messages_rcpt_statuses ON messages USING gin (rcpt_statuses);
CREATE INDEX messages_rcpt_key_status ON messages USING gin (rcpt_key_status);

-- Message bodies, for the delivery queue: written with the message, removed when it is done.
CREATE TABLE message_bodies (
  queue_id text PRIMARY KEY,
  body     bytea NOT NULL
);

-- Recipients by addressKey(). active_at = coalesce(lastEventAt, 0): "most recently active first".
CREATE TABLE recipients (
  addr_key          text PRIMARY KEY,
  invalid           boolean NOT NULL,
  suppressed        boolean NOT NULL,
  reason            text,
  category          text,
  flagged_at        bigint,
  suppressed_at     bigint,
  suppressed_reason text,
  active_at         bigint NOT NULL,
  record            jsonb NOT NULL
);
CREATE INDEX recipients_active ON recipients (active_at DESC, addr_key DESC);
CREATE INDEX recipients_invalid ON recipients (active_at DESC, addr_key DESC) WHERE invalid;
CREATE INDEX recipients_suppressed ON recipients (active_at DESC, addr_key DESC) WHERE suppressed;
CREATE INDEX recipients_category ON recipients (category, active_at DESC, addr_key DESC) WHERE category IS NOT NULL;
-- Address prefix search, whatever the database's collation.
CREATE INDEX recipients_prefix ON recipients (addr_key text_pattern_ops);

-- Events, append only. seq orders them (and is what a notification or the outbox names); rcpt_key
-- is the one recipient of most events, rcpt_keys the several of an integration event. failure
-- marks an attempt that did not deliver or a report: what a message list's reason/category filter
-- looks at. node is the store instance that wrote it (a listener skips its own).
CREATE TABLE events (
  seq       bigserial PRIMARY KEY,
  id        text NOT NULL,
  time      bigint NOT NULL,
  type      text NOT NULL,
  queue_id  text,
  rcpt_key  text,
  rcpt_keys text[],
  reason    text,
  category  text,
  failure   boolean NOT NULL,
  node      text NOT NULL,
  payload   jsonb NOT NULL
);
CREATE INDEX events_time ON events (time, seq);
CREATE INDEX events_rcpt ON events (rcpt_key, seq DESC) WHERE rcpt_key IS NOT NULL;
CREATE INDEX events_rcpt_keys ON events USING gin (rcpt_keys) WHERE rcpt_keys IS NOT NULL;
CREATE INDEX events_queue ON events (queue_id, seq) WHERE queue_id IS NOT NULL;
CREATE INDEX events_failure_reason ON events (reason, queue_id) WHERE failure AND queue_id IS NOT NULL;
CREATE INDEX events_failure_category ON events (category, queue_id) WHERE failure AND queue_id IS NOT NULL;

-- The delivery queue shared by every node: a node claims due rows nobody holds
-- (FOR UPDATE SKIP LOCKED), sets lease_node/lease_until, renews while delivering, and records the
-- outcome and clears the lease in one transaction. A dead node's lease expires; another claims it.
CREATE TABLE delivery_queue (
  queue_id        text PRIMARY KEY,
  envelope        jsonb NOT NULL,
  state           jsonb NOT NULL DEFAULT '{}'::jsonb,
  next_attempt_at bigint NOT NULL,
  lease_node      text,
  lease_until     bigint,
  claims          integer NOT NULL DEFAULT 0
);
-- Due and not leased: next_attempt_at <= now AND (lease_until IS NULL OR lease_until < now).
CREATE INDEX delivery_queue_due ON delivery_queue (next_attempt_at, lease_until);
CREATE INDEX delivery_queue_leases ON delivery_queue (lease_node) WHERE lease_node IS NOT NULL;

-- The webhook outbox: one row per (event, endpoint), delivered once across nodes by the same
-- claim-and-lease as the queue.
CREATE TABLE webhook_outbox (
  event_seq   bigint NOT NULL REFERENCES events (seq) ON DELETE CASCADE,
  endpoint    text NOT NULL,
  status      text NOT NULL DEFAULT 'pending',
  attempts    integer NOT NULL DEFAULT 0,
  next_at     bigint NOT NULL,
  lease_node  text,
  lease_until bigint,
  last_error  text,
  PRIMARY KEY (event_seq, endpoint)
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (next_at, lease_until) WHERE status = 'pending';
`;
