// The store contract (contract.ts) on the embedded lowdb backend, in a temporary directory.
import { realpathSync } from 'node:fs';
import { LowdbStore } from '../../src/store/lowdb/index.js';
import { silentLogger } from '../../src/util/logger.js';
import { cleanup, tempDir } from '../helpers/rebound.js';
import { describeStoreContract } from './contract.js';

function open(dir: string): LowdbStore {
  return new LowdbStore({ dir, shards: 4, flushIntervalMs: 50, compactIntervalMs: 3_600_000, eventRetentionDays: 30, logger: silentLogger(), clock: { now: () => Date.now() } });
}

describeStoreContract('lowdb', async () => {
  const dir = realpathSync(tempDir('rebound-contract-'));
  let current: LowdbStore | null = open(dir);
  await current.open();
  return {
    store: current,
    reopen: async () => {
      await current?.close();
      current = open(dir);
      await current.open();
      return current;
    },
    cleanup: async () => {
      await current?.close();
      current = null;
      cleanup(dir);
    },
  };
});
