// Store files hold addresses and mail history: owner-only whatever the umask, and files an older
// version left wider are tightened on open.
import { chmodSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LowdbStore } from '../../src/store/index.js';
import { emptyRecipient } from '../../src/recipients/reduce.js';
import { silentLogger } from '../../src/util/logger.js';
import { cleanup, tempDir } from '../helpers/rebound.js';

const open = (dir: string) =>
  new LowdbStore({ dir, shards: 2, flushIntervalMs: 3_600_000, compactIntervalMs: 3_600_000, eventRetentionDays: 30, logger: silentLogger(), clock: { now: () => Date.now() } });

/** Every file and directory under `dir` (itself included) with its permission bits. */
function modes(dir: string): Array<{ p: string; dir: boolean; mode: number }> {
  const out = [{ p: dir, dir: true, mode: statSync(dir).mode & 0o777 }];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...modes(p));
    else out.push({ p, dir: false, mode: statSync(p).mode & 0o777 });
  }
  return out;
}

describe('store file modes', () => {
  let base: string;
  let umask: number;
  beforeEach(() => {
    base = tempDir('rebound-modes-');
    umask = process.umask(0); // the widest umask: everything the code does not restrict is world-writable
  });
  afterEach(() => {
    process.umask(umask);
    cleanup(base);
  });

  it('shards, .bak files, journals and event logs are 0600 and their directories 0700 with umask 000', async () => {
    const dir = path.join(base, 'store');
    const s = open(dir);
    await s.open();
    for (let round = 0; round < 2; round++) {
      // Two snapshots, so .bak files exist too.
      await s.putRecipient(emptyRecipient(`r${round}@example.org`));
      await s.appendEvents([{ type: 'suppress', id: `e${round}`, time: Date.now(), rcpt: `r${round}@example.org`, reason: null, queueId: null, by: 'operator' }]);
      await s.flush();
      await s.compact();
    }
    await s.putRecipient(emptyRecipient('late@example.org'));
    await s.durable();
    const all = modes(dir);
    expect(all.some((x) => x.p.endsWith('.bak'))).toBe(true);
    expect(all.some((x) => /journal-\d+\.jsonl$/.test(x.p))).toBe(true);
    expect(all.some((x) => /events\/\d{4}-\d{2}-\d{2}\.jsonl$/.test(x.p))).toBe(true);
    for (const x of all) expect(x.mode.toString(8), x.p).toBe(x.dir ? '700' : '600');
    await s.close();
  });

  it('tightens what an older version left wider', async () => {
    const dir = path.join(base, 'store');
    mkdirSync(path.join(dir, 'events'), { recursive: true, mode: 0o755 });
    chmodSync(dir, 0o755);
    chmodSync(path.join(dir, 'events'), 0o755);
    writeFileSync(path.join(dir, 'recipients-0.json'), '{"items":{}}', { mode: 0o644 });
    writeFileSync(path.join(dir, 'recipients-0.json.bak'), '{"items":{}}', { mode: 0o644 });
    writeFileSync(path.join(dir, 'events', '2020-01-01.jsonl'), '', { mode: 0o666 });
    const s = open(dir);
    await s.open();
    for (const x of modes(dir)) expect(x.mode.toString(8), x.p).toBe(x.dir ? '700' : '600');
    await s.close();
  });
});
