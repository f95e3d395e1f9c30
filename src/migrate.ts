// The wiring of `rebound migrate --to postgres`: the data directory held, the lowdb store and the
// spool opened as the server would, PostgreSQL opened (and migrated) as a node would, then
// control/migrate-store.ts copies.
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from './config.js';
import { migrateToPostgres, type MigrationProgress, type MigrationReport } from './control/migrate-store.js';
import { DataDirInUseError, holdDataDir } from './datadir/index.js';
import { lowdbStoreOf, spoolOf } from './main.js';
import { PostgresStore } from './store/postgres/index.js';
import { PostgresCopyTarget } from './store/postgres/copy-target.js';
import { PostgresQueue } from './store/postgres/delivery-queue.js';
import type { Clock } from './util/clock.js';
import type { Logger } from './util/logger.js';

/** A migration that cannot start: what is wrong and what to do (the CLI prints the message alone). */
export class MigrateError extends Error {
  constructor(readonly code: 'NO_URL' | 'NO_STORE' | 'SERVER_RUNNING' | 'DATABASE_UNREACHABLE', message: string) {
    super(message);
  }
}

/** The URL as it may be shown: without its password. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(the PostgreSQL URL given)';
  }
}

/** The URL to copy into: --url, else REBOUND_PG_URL, else store.postgres.url (config.ts applies the env). */
export function migrationUrl(config: Config, given?: string): string {
  const url = given ?? config.store.postgres.url;
  if (!url) {
    throw new MigrateError('NO_URL', 'no PostgreSQL URL to copy into: pass --url postgres://user:password@host:5432/rebound, or set store.postgres.url or REBOUND_PG_URL');
  }
  return url;
}

/**
 * Copies the lowdb store and spool of `config.dataDir` into the PostgreSQL database at `url`,
 * holding the data directory meanwhile (a lowdb server running on it would go on changing both).
 */
export async function migrateDataDir(config: Config, o: { url: string; logger: Logger; clock: Clock; progress?: MigrationProgress }): Promise<MigrationReport> {
  const storeDir = path.join(config.dataDir, 'store');
  if (!existsSync(storeDir)) throw new MigrateError('NO_STORE', `no lowdb store in ${storeDir}: nothing to migrate (is dataDir in the configuration the one the lowdb server used?)`);
  const lock = await holdDataDir(config.dataDir).catch((err: unknown) => {
    if (!(err instanceof DataDirInUseError)) throw err;
    const who = err.holder ? `pid ${err.holder.pid} on ${err.holder.host}, running since ${err.holder.startedAt}` : 'a process that did not say its pid';
    throw new MigrateError('SERVER_RUNNING', `a Rebound server is running on ${config.dataDir} (${who}): stop it first; migrate copies the state of a stopped server, which would otherwise go on changing it`);
  });
  try {
    const nodeId = `migrate-${os.hostname()}-${process.pid}`;
    // No pruning while copying: history older than the retention is the nodes' to prune later.
    const db = new PostgresStore({ url: o.url, poolSize: 4, nodeId, logger: o.logger, clock: o.clock, pruneIntervalMs: 0 });
    await db.open().catch((err: Error) => {
      throw new MigrateError('DATABASE_UNREACHABLE', `cannot open PostgreSQL at ${redactUrl(o.url)}: ${err.message.replace(/^store: /, '')}`);
    });
    try {
      const from = lowdbStoreOf(config, o.logger, o.clock);
      await from.open({ readOnly: true });
      const { spool, retained } = spoolOf(config, o.logger);
      await spool.open();
      try {
        const queue = new PostgresQueue({ db, nodeId, leaseMs: config.store.postgres.leaseMs, logger: o.logger });
        return await migrateToPostgres({ from, spool, retained, to: new PostgresCopyTarget(db, nodeId), queue, ...(o.progress ? { progress: o.progress } : {}) });
      } finally {
        await spool.close();
        await from.close();
      }
    } finally {
      await db.close();
    }
  } finally {
    await lock.release();
  }
}
