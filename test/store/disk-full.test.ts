// The store's journal and event log on a disk that really fills up (a small tmpfs): a write cut
// short by ENOSPC must not stay in the file, the changes must wait and go out when space returns,
// the store reports the failure meanwhile, and the files open cleanly afterwards.
import { readFileSync, readdirSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LowdbStore } from '../../src/store/index.js';
import { emptyRecipient } from '../../src/recipients/reduce.js';
import { silentLogger } from '../../src/util/logger.js';
import { mountTmpfs, type Tmpfs } from '../helpers/tmpfs.js';
import { allEvents, waitFor } from '../helpers/rebound.js';

const disk: Tmpfs | null = mountTmpfs('1m');
if (!disk) console.warn('store disk-full tests skipped: cannot mount a tmpfs here (needs root and mount)');

const clock = { now: () => Date.now() };
const open = (dir: string) =>
  new LowdbStore({ dir, shards: 4, flushIntervalMs: 50, compactIntervalMs: 3_600_000, eventRetentionDays: 30, logger: silentLogger(), clock });

describe.skipIf(!disk)('store on a full disk', () => {
  let dir: string;
  beforeAll(() => {
    dir = path.join(realpathSync(disk!.dir), 'store');
  });
  afterAll(() => disk?.unmount());

  it('cuts a failed write off the journal, retries it when space returns, reports the failure meanwhile, and reopens with every record', async () => {
    const store = open(dir);
    await store.open();
    await Promise.all(Array.from({ length: 10 }, (_, i) => store.putRecipient(emptyRecipient(`early-${i}@example.org`))));
    await store.durable();
    expect(store.writeHealth()).toEqual({ ok: true });

    // Leave a little space, less than the next batch: the write gets partly through, then ENOSPC.
    disk!.fill(8 * 1024);
    const padding = 'x'.repeat(400);
    // Issued, not awaited: each write's promise waits for a commit the full disk refuses.
    const writes: Array<Promise<void>> = [];
    for (let i = 0; i < 300; i++) {
      writes.push(store.putRecipient({ ...emptyRecipient(`Late-${i}@Example.org`), lastResponse: padding }));
      writes.push(store.appendEvents([{ type: 'suppress', id: `ev-${i}`, time: Date.now(), rcpt: `Late-${i}@Example.org`, reason: null, queueId: null, by: 'operator' }]));
    }
    let written = 0;
    for (const w of writes) void w.then(() => written++);
    let done = false;
    const durable = store.durable().then(() => (done = true));
    await waitFor(() => !store.writeHealth().ok, 5_000);
    const health = store.writeHealth();
    expect(health.ok).toBe(false);
    expect(!health.ok && health.cause).toMatch(/ENOSPC|no space/i);
    await new Promise((r) => setTimeout(r, 300));
    expect(done, 'durable() resolved while the disk was full').toBe(false);
    expect(written, 'a write resolved while the disk was full').toBe(0);
    // Nothing half-written stays behind: every journal line is whole. The store retries every
    // flush interval, and each retry's bytes sit in the file between its write and the truncate
    // after ENOSPC, so a single read can land inside one retry: poll for the state between retries
    // (a writer that never cut its failed bytes off never shows a whole file).
    for (const f of readdirSync(dir).filter((n) => n.startsWith('journal-'))) {
      const { text } = await waitFor(() => {
        const t = readFileSync(path.join(dir, f), 'utf8');
        return t === '' || t.endsWith('\n') ? { text: t } : null;
      }, 2_000, 2).catch(() => ({ text: readFileSync(path.join(dir, f), 'utf8') }));
      expect(text === '' || text.endsWith('\n'), `${f} ends in a partial line`).toBe(true);
      for (const line of text.split('\n').filter(Boolean)) expect(() => JSON.parse(line)).not.toThrow();
    }

    disk!.free();
    await durable; // by the store's own retry, no call from us
    await Promise.all(writes);
    await waitFor(() => store.writeHealth().ok, 5_000);

    // As after a crash: a second store reads the files the first one left (the first never closes).
    const after = open(dir);
    await after.open({ readOnly: true });
    for (let i = 0; i < 10; i++) expect((await after.getRecipient(`early-${i}@example.org`))).toBeDefined();
    for (let i = 0; i < 300; i++) expect((await after.getRecipient(`late-${i}@example.org`))?.lastResponse).toBe(padding);
    await store.flush();
    const reread = open(dir);
    await reread.open({ readOnly: true });
    const ids = new Set((await allEvents(reread)).map((e) => e.id));
    for (let i = 0; i < 300; i++) expect(ids.has(`ev-${i}`), `event ev-${i}`).toBe(true);
    await store.close();
  });
});
