// The store contract (contract.ts) on the PostgreSQL backend: one private cluster and database for
// this file, migrated by the first store's open() (as a node's first start does) and emptied after
// each test (TRUNCATE: a new database per test cost about 200 ms more each).
import { describe, it } from 'vitest';
import type { PostgresStore } from '../../src/store/postgres/index.js';
import { pgSkip, usePgCluster } from '../helpers/pg-cluster.js';
import { emptyDatabase, pgStore } from '../helpers/pg-store.js';
import { describeStoreContract } from './contract.js';

const pg = usePgCluster();
let url: string | null = null;

if (pgSkip) {
  describe('store contract: postgres', () => it.skip(`skipped: ${pgSkip}`, () => {}));
} else {
  describeStoreContract('postgres', async () => {
    const db = (url ??= await pg.db('contract'));
    let current: PostgresStore | null = pgStore(db);
    await current.open();
    return {
      store: current,
      reopen: async () => {
        await current?.close();
        current = pgStore(db);
        await current.open();
        return current;
      },
      cleanup: async () => {
        await current?.close();
        current = null;
        await emptyDatabase(db);
      },
    };
  });
}
