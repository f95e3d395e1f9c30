// A private PostgreSQL cluster per test file (the logic lives in scripts/pg/cluster.mjs, shared with
// the benchmarks; this file gives it types, a skip reason and the per-file lifecycle).
import { afterAll, beforeAll } from 'vitest';
// @ts-expect-error plain JS module without declarations
import * as core from '../../scripts/pg/cluster.mjs';

export interface PgCluster {
  dir: string;
  dataDir: string;
  socketDir: string;
  user: string;
  readonly port: number;
  /** The postmaster's PID, or null when it is not running. */
  pid(): number | null;
  url(db?: string): string;
  /** The server's log file so far. */
  log(): string;
  start(): Promise<void>;
  stop(opts?: { mode?: 'smart' | 'fast' | 'immediate' }): Promise<void>;
  /** pg_ctl stop -m immediate: no shutdown checkpoint, WAL replay at the next start. */
  crash(): Promise<void>;
  restart(opts?: { mode?: 'smart' | 'fast' | 'immediate' }): Promise<void>;
  createDatabase(name: string): Promise<string>;
  destroy(): Promise<void>;
}

export const startPgCluster = core.startCluster as (o?: { settings?: Record<string, string | number>; user?: string }) => Promise<PgCluster>;
/** Why a private cluster cannot run here (for `describe.skipIf`), or null. */
export const pgSkip = core.pgUnavailable() as string | null;

let databases = 0;

/**
 * One cluster for the calling test file, started in beforeAll and destroyed in afterAll. `db()`
 * creates a fresh database and returns its URL; `cluster()` is the running cluster.
 */
export function usePgCluster(settings?: Record<string, string | number>): { cluster: () => PgCluster; db: (prefix?: string) => Promise<string> } {
  let c: PgCluster | null = null;
  beforeAll(async () => {
    if (!pgSkip) c = await startPgCluster({ settings });
  }, 90_000);
  afterAll(async () => {
    await c?.destroy();
  }, 60_000);
  const cluster = () => {
    if (!c) throw new Error('no PostgreSQL cluster: the test should have been skipped (pgSkip)');
    return c;
  };
  return { cluster, db: (prefix = 'test') => cluster().createDatabase(`${prefix}_${process.pid}_${++databases}`) };
}
