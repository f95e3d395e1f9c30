import type { MessageRecord, RecipientEvent, RecipientRecord } from '../../types.js';
import type { CopyTarget } from '../copy-store.js';
import type { PostgresStore } from './postgres-store.js';
import { addressKey } from '../../util/address-key.js';
import { INSERT_EVENTS, INSERT_MESSAGES, INSERT_RECIPIENTS, eventsParam, messagesParam, recipientsParam } from './rows.js';

/**
 * A PostgreSQL store as the target of a copy (rebound migrate): one INSERT ... ON CONFLICT DO
 * NOTHING per batch, so a row the database holds already (an earlier run, or a node that has
 * worked on it since) is left as it is. Copied events are history: they are not announced to
 * other nodes' live listeners (a running node's dashboard feed would replay a month of it).
 */
export class PostgresCopyTarget implements CopyTarget {
  constructor(private readonly db: PostgresStore, private readonly writer = 'migrate') {}

  transaction<T>(fn: () => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }

  durable(): Promise<void> {
    return this.db.durable();
  }

  async addMessages(ms: MessageRecord[]): Promise<boolean[]> {
    const r = await this.db.query<{ queue_id: string }>(`${INSERT_MESSAGES} ON CONFLICT (queue_id) DO NOTHING RETURNING queue_id`, [messagesParam(ms)]);
    const added = new Set(r.rows.map((x) => x.queue_id));
    return ms.map((m) => added.has(m.queueId));
  }

  async addRecipients(rs: RecipientRecord[]): Promise<boolean[]> {
    const r = await this.db.query<{ addr_key: string }>(`${INSERT_RECIPIENTS} ON CONFLICT (addr_key) DO NOTHING RETURNING addr_key`, [recipientsParam(rs)]);
    const added = new Set(r.rows.map((x) => x.addr_key));
    return rs.map((x) => added.has(addressKey(x.email)));
  }

  async addEvents(es: RecipientEvent[]): Promise<boolean[]> {
    const r = await this.db.query<{ id: string }>(INSERT_EVENTS, [eventsParam(es), this.writer]);
    const added = new Set(r.rows.map((x) => x.id));
    return es.map((e) => added.has(e.id));
  }

  /**
   * The copy of a finished message kept for resend, stored as the body of its message record
   * (pruned with it). False when the database has that body already or no record of the message.
   */
  async addBody(queueId: string, raw: Buffer): Promise<boolean> {
    const r = await this.db.query(
      `INSERT INTO message_bodies (queue_id, body) SELECT $1::text, $2::bytea WHERE EXISTS (SELECT 1 FROM messages WHERE queue_id = $1::text)
       ON CONFLICT (queue_id) DO NOTHING`,
      [queueId, raw],
    );
    return (r.rowCount ?? 0) > 0;
  }
}
