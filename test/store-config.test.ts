import { execFile } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig, ConfigError } from '../src/config.js';
import { LowdbStore, StoreCorruptError } from '../src/store/index.js';
import { systemClock } from '../src/util/clock.js';
import { silentLogger } from '../src/util/logger.js';
import { emptyRecipient } from '../src/recipients/index.js';
import { cleanup, listRecipients, startRebound, tempDir, testConfig } from './helpers/rebound.js';

const run = promisify(execFile);
const CLI = path.resolve(import.meta.dirname, '..', 'dist', 'cli.js');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) cleanup(d);
});
function newDir(): string {
  const d = tempDir('rebound-store-');
  dirs.push(d);
  return d;
}
function store(dir: string, shards = 4): LowdbStore {
  return new LowdbStore({ dir, shards, flushIntervalMs: 10, eventRetentionDays: 30, logger: silentLogger(), clock: systemClock });
}

describe('configuration', () => {
  it('fills defaults from an empty file', () => {
    const c = parseConfig({});
    expect(c.submission.port).toBe(2525);
    expect(c.submission.host).toBe('127.0.0.1');
    expect(c.delivery.retry).toEqual({ firstDelayMs: 300_000, maxDelayMs: 4_000_000, lifetimeMs: 432_000_000 });
    expect(c.returnPath.port).toBe(2526);
    expect(c.http.port).toBe(8025);
  });

  it('names unknown keys and bad values', () => {
    expect(() => parseConfig({ submission: { prot: 25 } })).toThrow(/submission\.prot: unknown key/);
    expect(() => parseConfig({ delivery: { mode: 'carrier-pigeon' } })).toThrow(/delivery\.mode/);
    expect(() => parseConfig({ submission: { trustedNetworks: ['10.0.0.0/99'] } })).toThrow(/submission\.trustedNetworks\.0/);
    expect(() => parseConfig({ returnPath: { secret: 'short' } })).toThrow(/returnPath\.secret/);
    expect(() => parseConfig({ submission: { users: [{ user: 'a', passwordHash: 'plaintext' }] } })).toThrow(/hash-password/);
    try {
      parseConfig({ nope: 1 });
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
    }
  });

  it('the CLI stops with exit code 2 and the key name for a bad config file', async () => {
    const dir = newDir();
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ submission: { maxMessageBytes: -5 } }));
    const err = await run('node', [CLI, 'start', '--config', file]).catch((e: { code: number; stderr: string }) => e);
    expect((err as { code: number }).code).toBe(2);
    expect((err as { stderr: string }).stderr).toMatch(/submission\.maxMessageBytes/);
  });
});

describe('lowdb store', () => {
  it('persists records across shards and reads them back', async () => {
    const dir = newDir();
    const s = store(dir);
    await s.open();
    for (let i = 0; i < 200; i++) await s.putRecipient({ ...emptyRecipient(`u${i}@example.org`), failedCount: i });
    await s.appendEvents([{ type: 'flag', id: 'e1', time: Date.now(), rcpt: 'u1@example.org', reason: 'userunknown', queueId: 'Q', by: 'attempt' }]);
    await s.close();
    expect(readdirSync(dir).filter((f) => f.startsWith('recipients-') && f.endsWith('.json'))).toHaveLength(4);
    const again = store(dir);
    await again.open();
    expect((await listRecipients(again))).toHaveLength(200);
    expect((await again.getRecipient('u42@example.org'))!.failedCount).toBe(42);
    expect((await again.eventsForRecipient('u1@example.org'))[0]!.type).toBe('flag');
    await again.close();
  });

  it('durable() resolves only after the data is on disk', async () => {
    const dir = newDir();
    const s = store(dir, 1);
    await s.open();
    await s.putRecipient(emptyRecipient('d@example.org'));
    await s.durable();
    const other = store(dir, 1);
    await other.open({ readOnly: true });
    expect((await other.getRecipient('d@example.org'))).toBeDefined();
    await s.close();
  });

  it('recovers from the journal after a crash (no close), and compaction folds it into the snapshot', async () => {
    const dir = newDir();
    const s = store(dir);
    await s.open();
    for (let i = 0; i < 50; i++) await s.putRecipient({ ...emptyRecipient(`j${i}@example.org`), failedCount: i });
    await s.durable();
    await s.putRecipient({ ...emptyRecipient('j7@example.org'), failedCount: 700 }); // later value wins
    await s.durable();
    // crash: no close, no snapshot written yet
    const journals = () => readdirSync(dir).filter((f) => f.startsWith('journal-'));
    expect(journals().length).toBeGreaterThan(0);
    const after = store(dir);
    await after.open();
    expect((await listRecipients(after))).toHaveLength(50);
    expect((await after.getRecipient('j7@example.org'))!.failedCount).toBe(700);
    await after.compact();
    await after.putRecipient(emptyRecipient('late@example.org'));
    await after.durable();
    const third = store(dir);
    await third.open({ readOnly: true });
    expect((await listRecipients(third))).toHaveLength(51);
    expect((await third.getRecipient('j7@example.org'))!.failedCount).toBe(700);
    await after.close();
    expect(journals()).toHaveLength(1); // only the current (empty after close) journal remains
  });

  it('refuses to start on a corrupt store file, naming it and the way back', async () => {
    const dir = newDir();
    const s = store(dir);
    await s.open();
    await s.putRecipient(emptyRecipient('x@example.org'));
    await s.close();
    const file = path.join(dir, 'recipients-0.json');
    writeFileSync(file, '{"items": {"trunc');
    const again = store(dir);
    const err = await again.open().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreCorruptError);
    expect((err as Error).message).toContain(file);
    expect((err as Error).message).toMatch(/\.bak/);
  });

  it('a Rebound start on a corrupt store stops with that error instead of resetting', async () => {
    const dir = newDir();
    const app = await startRebound(testConfig(dir, 9));
    await app.stop(500);
    const file = path.join(dir, 'store', 'messages-0.json');
    expect(existsSync(file)).toBe(true);
    writeFileSync(file, 'garbage');
    await expect(startRebound(testConfig(dir, 9))).rejects.toThrow(/messages-0\.json is damaged/);
  });

  it('falls back to the previous good copy when a crash left only the .bak', async () => {
    const dir = newDir();
    const s = store(dir, 1);
    await s.open();
    await s.putRecipient(emptyRecipient('first@example.org'));
    await s.flush();
    await s.putRecipient(emptyRecipient('second@example.org'));
    await s.close();
    // crash between "current -> .bak" and "tmp -> current"
    const { renameSync } = await import('node:fs');
    renameSync(path.join(dir, 'recipients-0.json'), path.join(dir, 'recipients-0.json.bak'));
    const again = store(dir, 1);
    await again.open();
    expect((await again.getRecipient('second@example.org'))).toBeDefined();
  });
});
