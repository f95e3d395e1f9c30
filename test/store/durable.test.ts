// durable() is the store's promise that a change survives a crash: it may resolve only after a
// completed sync covers every journal line written for the changes made before the call. These
// tests watch the real syncs of the real files (test/helpers/fs-probe.ts), so removing the sync
// from the journal, or resolving early during a compaction, fails them.
import { readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LowdbStore } from '../../src/store/index.js';
import { emptyRecipient } from '../../src/recipients/reduce.js';
import { silentLogger } from '../../src/util/logger.js';
import { probeSyncs, type SyncProbe } from '../helpers/fs-probe.js';
import { cleanup, tempDir } from '../helpers/rebound.js';

const clock = { now: () => Date.now() };

function openStore(dir: string): LowdbStore {
  // Timers far away: only the test's durable() and compact() calls write.
  return new LowdbStore({ dir, shards: 4, flushIntervalMs: 3_600_000, compactIntervalMs: 3_600_000, eventRetentionDays: 30, logger: silentLogger(), clock });
}

/** End offset of the journal line holding `key` in `file`, or -1. */
function lineEnd(file: string, key: string): number {
  const text = readFileSync(file);
  const at = text.indexOf(`"k":"${key}"`);
  if (at < 0) return -1;
  return text.indexOf(0x0a, at) + 1;
}

describe('durable()', () => {
  let dir: string;
  let probe: SyncProbe;
  let store: LowdbStore;
  beforeEach(async () => {
    dir = realpathSync(tempDir('rebound-durable-'));
    probe = await probeSyncs();
    store = openStore(dir);
    await store.open();
  });
  afterEach(async () => {
    probe.restore();
    await store.close();
    cleanup(dir);
  });

  const journal = (gen: number) => path.join(dir, `journal-${String(gen).padStart(8, '0')}.jsonl`);

  it('resolves only after a sync covers the line of every change made before the call', async () => {
    const keys: string[] = [];
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 5; i++) {
        const email = `r${round}-${i}@example.org`;
        // Issued, not awaited: durable() must cover all five with one sync.
        void store.putRecipient(emptyRecipient(email));
        keys.push(email);
      }
      await store.durable();
      for (const k of keys) {
        const end = lineEnd(journal(1), k);
        expect(end, k).toBeGreaterThan(0);
        expect(probe.syncedBytes(journal(1)), `${k} written but not synced when durable() resolved`).toBeGreaterThanOrEqual(end);
      }
    }
    // Group commit: about one sync per durable() call, not one per change.
    expect(probe.syncCount((f) => f === journal(1))).toBeLessThanOrEqual(20);
  });

  it('during a compaction waits for the old journal: a change made before the swap is synced before durable() resolves', async () => {
    await store.putRecipient(emptyRecipient('before@example.org'));
    await store.durable();
    // The compaction swaps journals and then writes the old one's last lines; hold that sync back.
    const oldSyncStarted = probe.holdNextSync((f) => f === journal(1), 150);
    // Not awaited: the change must be made before the swap and still be unsynced when it happens.
    void store.putRecipient(emptyRecipient('swap@example.org'));
    const compacting = store.compact();
    await oldSyncStarted;
    const t0 = Date.now();
    await store.durable();
    const waited = Date.now() - t0;
    const end = lineEnd(journal(1), 'swap@example.org');
    expect(end).toBeGreaterThan(0);
    expect(probe.syncedBytes(journal(1)), `durable() resolved after ${waited} ms with its line still unsynced in the old journal`).toBeGreaterThanOrEqual(end);
    await compacting;
    // And it is really kept: a new store on the same files has it.
    const again = openStore(dir);
    await again.open({ readOnly: true });
    expect((await again.getRecipient('swap@example.org'))?.email).toBe('swap@example.org');
  });

  it('after a compaction, new changes are synced in the new journal before durable() resolves', async () => {
    void store.putRecipient(emptyRecipient('one@example.org'));
    await store.compact();
    void store.putRecipient(emptyRecipient('two@example.org'));
    await store.durable();
    const end = lineEnd(journal(2), 'two@example.org');
    expect(end).toBeGreaterThan(0);
    expect(probe.syncedBytes(journal(2))).toBeGreaterThanOrEqual(end);
  });

  it('each write resolves only after a sync covers its journal line, concurrent writes sharing syncs', async () => {
    const keys = Array.from({ length: 40 }, (_, i) => `w${i}@example.org`);
    const seen: Array<{ key: string; synced: number; end: number }> = [];
    await Promise.all(keys.map(async (key, i) => {
      const r = emptyRecipient(key);
      await (i % 2 ? store.putRecipient(r) : store.updateRecipient(key, () => ({ record: r })));
      seen.push({ key, synced: probe.syncedBytes(journal(1)), end: lineEnd(journal(1), key) });
    }));
    for (const s of seen) {
      expect(s.end, s.key).toBeGreaterThan(0);
      expect(s.synced, `${s.key} resolved before its line was synced`).toBeGreaterThanOrEqual(s.end);
    }
    expect(probe.syncCount((f) => f === journal(1))).toBeLessThan(keys.length);
  });
});
