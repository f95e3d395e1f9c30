import type { DestinationSlots } from '../../delivery/destination-slots.js';
import type { Logger } from '../../util/logger.js';
import type { QueueDb } from './delivery-queue.js';
import { DB_NOW } from './sql-params.js';


/**
 * Per-destination connection slots in PostgreSQL: a row (destination, slot) is held by a node
 * until its lease runs out; held slots are renewed every third of the lease, so a node that dies
 * frees its slots within `leaseMs`.
 */
export class PostgresDestinationSlots implements DestinationSlots {
  private readonly held = new Map<string, Set<number>>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly o: { db: QueueDb; nodeId: string; leaseMs: number; logger: Logger }) {}

  start(): void {
    this.timer = setInterval(() => void this.renew(), Math.max(250, Math.floor(this.o.leaseMs / 3)));
    this.timer.unref();
  }

  async take(destination: string, max: number): Promise<number | null> {
    await this.o.db.query(
      `INSERT INTO destination_slots (destination, slot, node, lease_until)
       SELECT $1, s, NULL, 0 FROM generate_series(0, $2 - 1) AS s ON CONFLICT DO NOTHING`,
      [destination, max],
    );
    const { rows } = await this.o.db.query<{ slot: number }>(
      `UPDATE destination_slots d SET node = $2, lease_until = ${DB_NOW} + $4
       FROM (SELECT slot FROM destination_slots
             WHERE destination = $1 AND slot < $3 AND (node IS NULL OR lease_until < ${DB_NOW})
             ORDER BY slot LIMIT 1 FOR UPDATE SKIP LOCKED) free
       WHERE d.destination = $1 AND d.slot = free.slot
       RETURNING d.slot`,
      [destination, this.o.nodeId, max, this.o.leaseMs],
    );
    const slot = rows[0]?.slot;
    if (slot === undefined) return null;
    let set = this.held.get(destination);
    if (!set) this.held.set(destination, (set = new Set()));
    set.add(slot);
    return slot;
  }

  give(destination: string, slot: number): void {
    this.held.get(destination)?.delete(slot);
    void this.o.db.query(
      `UPDATE destination_slots SET node = NULL, lease_until = 0 WHERE destination = $1 AND slot = $2 AND node = $3`,
      [destination, slot, this.o.nodeId],
    ).catch((err: Error) => this.o.logger.warn({ err: err.message, destination }, 'slots: could not free a connection slot; it frees itself when its lease runs out'));
  }

  private async renew(): Promise<void> {
    for (const [destination, slots] of this.held) {
      if (!slots.size) continue;
      await this.o.db.query(
        `UPDATE destination_slots SET lease_until = ${DB_NOW} + $4 WHERE destination = $1 AND slot = ANY($2::int[]) AND node = $3`,
        [destination, [...slots], this.o.nodeId, this.o.leaseMs],
      ).catch((err: Error) => this.o.logger.warn({ err: err.message }, 'slots: renewal failed; will retry'));
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.o.db.query(`UPDATE destination_slots SET node = NULL, lease_until = 0 WHERE node = $1`, [this.o.nodeId]).catch(() => undefined);
    this.held.clear();
  }
}
