// Recipient records that carry no information past the retention are pruned; a flagged, suppressed
// or awaiting one never is; a pruned address reads as unknown (never sent to), which is clean.
// Records are kept packed; whole records written by older versions are read back unchanged.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildHttpApp } from '../../src/http/server.js';
import { emptyRecipient } from '../../src/recipients/index.js';
import { LowdbStore } from '../../src/store/index.js';
import type { RecipientRecord } from '../../src/types.js';
import { silentLogger } from '../../src/util/logger.js';
import { cleanup, listRecipients, tempDir } from '../helpers/rebound.js';
import { TOKEN, testTokenHash } from '../http/harness.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1);
const clock = { now: () => NOW };
const open = (dir: string, shards = 4) =>
  new LowdbStore({ dir, shards, flushIntervalMs: 3_600_000, compactIntervalMs: 3_600_000, eventRetentionDays: 30, logger: silentLogger(), clock });

const old = NOW - 40 * DAY;
const rec = (email: string, over: Partial<RecipientRecord>): RecipientRecord =>
  ({ ...emptyRecipient(email), lastStatus: 'delivered', lastEventAt: old, deliveredCount: 4, lastResponse: '250 2.0.0 Ok: queued as 4F00AB12', ...over });

const records = {
  cleanOld: rec('Clean.Old@Example.org', {}),
  cleanOldFailed: rec('soft@example.org', { lastStatus: 'deferred', consecutiveFailures: 2, failedCount: 2 }),
  flaggedOld: rec('Flagged@Example.org', { invalid: true, reason: 'userunknown', category: 'Invalid Email', flaggedAt: old, lastStatus: 'bounced' }),
  suppressedOld: rec('suppressed@example.org', { suppressed: true, suppressedAt: old, suppressedReason: 'complaint' }),
  awaitingOld: rec('awaiting@example.org', { awaiting: { queueId: 'Q1', since: old } }),
  cleanRecent: rec('recent@example.org', { lastEventAt: NOW - 2 * DAY }),
  noTime: rec('never@example.org', { lastStatus: null, lastEventAt: null, deliveredCount: 0 }),
};
const kept = ['flaggedOld', 'suppressedOld', 'awaitingOld', 'cleanRecent', 'noTime'] as const;
const pruned = ['cleanOld', 'cleanOldFailed'] as const;

const dirs: string[] = [];
afterAll(() => dirs.forEach(cleanup));

describe('recipient pruning', () => {
  it('drops clean records inactive past the retention, never a flagged, suppressed or awaiting one, and the drop survives a restart', async () => {
    const dir = tempDir('rebound-prune-');
    dirs.push(dir);
    const store = open(dir);
    await store.open();
    for (const r of Object.values(records)) await store.putRecipient(r);
    // Before the prune every record reads back exactly as written (packed in memory).
    for (const r of Object.values(records)) expect((await store.getRecipient(r.email))).toEqual(r);
    await store.flush(); // the first flush runs the hourly prune

    for (const k of kept) expect((await store.getRecipient(records[k].email)), k).toEqual(records[k]);
    for (const k of pruned) expect((await store.getRecipient(records[k].email)), k).toBeUndefined();
    expect((await listRecipients(store)).map((r) => r.email).sort()).toEqual(kept.map((k) => records[k].email).sort());
    expect((await listRecipients(store, { invalid: true })).map((r) => r.email)).toEqual([records.flaggedOld.email]);
    expect((await listRecipients(store, { suppressed: true })).map((r) => r.email)).toEqual([records.suppressedOld.email]);
    await store.durable();

    // After a crash (no close): the journal's deletions are replayed.
    const crashed = open(dir);
    await crashed.open({ readOnly: true });
    for (const k of pruned) expect((await crashed.getRecipient(records[k].email)), k).toBeUndefined();
    for (const k of kept) expect((await crashed.getRecipient(records[k].email)), k).toEqual(records[k]);
    await store.close(); // and after the snapshot
    const again = open(dir);
    await again.open();
    for (const k of pruned) expect((await again.getRecipient(records[k].email)), k).toBeUndefined();
    for (const k of kept) expect((await again.getRecipient(records[k].email)), k).toEqual(records[k]);

    // The API reports a pruned address as unknown, not flagged and not suppressed.
    const api = await buildHttpApp({
      config: { host: '127.0.0.1', port: 0, tokens: [await testTokenHash()] },
      store: again, logger: silentLogger(), clock, actions: {} as never, delivery: {} as never,
    });
    try {
      const get = (url: string) => api.inject({ url, headers: { authorization: `Bearer ${TOKEN}` } });
      const gone = await get(`/api/recipients/${encodeURIComponent(records.cleanOld.email)}`);
      expect(gone.statusCode).toBe(404);
      expect(gone.body).toMatch(/has not sent to this address \(or its record was pruned\)/);
      const flagged = await get(`/api/recipients/${encodeURIComponent('flagged@example.org')}`);
      expect(flagged.statusCode).toBe(200);
      expect(JSON.parse(flagged.body).recipient.invalid).toBe(true);
      const batch = JSON.parse((await get(`/api/recipients?emails=${encodeURIComponent(`${records.cleanOld.email},${records.flaggedOld.email}`)}`)).body);
      expect(batch.recipients.map((r: RecipientRecord) => r.email)).toEqual([records.flaggedOld.email]);
      const flaggedList = JSON.parse((await get('/api/recipients?flagged=true')).body);
      expect(flaggedList.recipients.map((r: RecipientRecord) => r.email)).toEqual([records.flaggedOld.email]);
    } finally {
      await api.close();
      await again.close();
    }
  });

  it('reads whole records an older version wrote (snapshot and journal, any spelling as key) and packs them', async () => {
    const dir = tempDir('rebound-unpacked-');
    dirs.push(dir);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const a = rec('Mixed.Case@Example.org', { lastEventAt: NOW - DAY, failedCount: 1 });
    const b = rec('plain@example.org', { lastEventAt: NOW - DAY, clearedBy: 'delivery', clearedAt: NOW - DAY });
    const c = rec('From.Journal@Example.org', { lastEventAt: NOW - DAY, invalid: true, reason: 'userunknown', flaggedAt: NOW - DAY });
    // One shard (so the file is the one each key hashes to), both records under their old keys.
    writeFileSync(path.join(dir, 'recipients-0.json'), JSON.stringify({ items: { [a.email]: a, [b.email]: b } }), { mode: 0o600 });
    writeFileSync(path.join(dir, 'journal-00000001.jsonl'), JSON.stringify({ c: 'r', k: c.email, v: c }) + '\n', { mode: 0o600 });
    const store = open(dir, 1);
    await store.open();
    for (const r of [a, b, c]) {
      expect((await store.getRecipient(r.email))).toEqual(r);
      expect((await store.getRecipient(r.email.toLowerCase()))).toEqual(r);
    }
    expect((await listRecipients(store, { invalid: true })).map((r) => r.email)).toEqual([c.email]);
    // A field the packing table does not know (added to the record type later) is kept.
    const d = { ...rec('future@example.org', { lastEventAt: NOW - DAY }), shinyNew: { n: 7 } } as RecipientRecord;
    await store.putRecipient(d);
    expect((await store.getRecipient(d.email))).toEqual(d);
    await store.close();
    const again = open(dir, 1);
    await again.open();
    for (const r of [a, b, c, d]) expect((await again.getRecipient(r.email))).toEqual(r);
    await again.close();
  });

  it('lists newest first, a limited list the same as the head of the whole one', async () => {
    const dir = tempDir('rebound-list-');
    dirs.push(dir);
    const store = open(dir);
    await store.open();
    // Activity times in a scrambled order, with ties.
    for (let i = 0; i < 200; i++) await store.putRecipient(rec(`u${i}@example.org`, { lastEventAt: NOW - ((i * 7_919) % 61) * 1000 }));
    const whole = (await listRecipients(store)).map((r) => [r.email, r.lastEventAt] as const);
    expect(whole).toHaveLength(200);
    for (let i = 1; i < whole.length; i++) expect(whole[i - 1]![1]! >= whole[i]![1]!).toBe(true);
    for (const limit of [1, 3, 10, 24, 25, 199, 500]) expect((await listRecipients(store, { limit })).map((r) => [r.email, r.lastEventAt] as const)).toEqual(whole.slice(0, limit));
    await store.close();
  });
});
