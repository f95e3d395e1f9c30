import type pg from 'pg';
import { MIGRATIONS, type Migration } from './migrations/index.js';

/** The advisory lock every node takes to migrate: one node applies a migration, the others wait and then find it applied. */
const MIGRATION_LOCK = 0x5245_424f_554e_4401n; // "REBOUND" + 1

export interface MigrationResult {
  /** Versions this call applied (empty when the schema was current). */
  applied: number[];
  version: number;
}

/**
 * Brings the schema up to the newest migration, each in its own transaction and recorded in
 * schema_migrations, under a session advisory lock so that nodes starting together apply each
 * migration exactly once. Refuses a database migrated by a newer Rebound.
 */
export async function migrate(client: pg.ClientBase, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrationResult> {
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK.toString()]);
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
    const newest = Math.max(0, ...migrations.map((m) => m.version));
    const ahead = [...done].filter((v) => v > newest);
    if (ahead.length) throw new Error(`the database schema is at version ${Math.max(...ahead)}, newer than this Rebound knows (${newest}): upgrade Rebound`);
    const applied: number[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw new Error(`schema migration ${m.version} (${m.name}) failed: ${(err as Error).message}`);
      }
      applied.push(m.version);
    }
    return { applied, version: newest };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK.toString()]).catch(() => {});
  }
}

/** For a read-only open: the schema must already be current (a reader never migrates). */
export async function checkSchema(client: pg.ClientBase, migrations: readonly Migration[] = MIGRATIONS): Promise<void> {
  const newest = Math.max(0, ...migrations.map((m) => m.version));
  const exists = await client.query<{ t: string | null }>(`SELECT to_regclass('schema_migrations')::text AS t`);
  const v = exists.rows[0]?.t ? ((await client.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations')).rows[0]?.v ?? null) : null;
  if (v === null || v < newest) throw new Error(`the database schema is at version ${v ?? 0}, Rebound needs ${newest}: start a node (it migrates at start) before opening read-only`);
}
