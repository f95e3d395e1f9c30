// When the store refuses to start on a damaged file, its advice must name files that exist and
// must work when followed.
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LowdbStore, StoreCorruptError } from '../../src/store/index.js';
import { emptyRecipient } from '../../src/recipients/reduce.js';
import { silentLogger } from '../../src/util/logger.js';
import { cleanup, tempDir } from '../helpers/rebound.js';

const clock = { now: () => Date.now() };
const open = (dir: string) =>
  new LowdbStore({ dir, shards: 2, flushIntervalMs: 3_600_000, compactIntervalMs: 3_600_000, eventRetentionDays: 30, logger: silentLogger(), clock });

async function openError(dir: string): Promise<StoreCorruptError> {
  try {
    await open(dir).open();
  } catch (err) {
    expect(err).toBeInstanceOf(StoreCorruptError);
    return err as StoreCorruptError;
  }
  throw new Error('the store opened although a file is damaged');
}

describe('damaged store files: the advice names files that exist', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('rebound-damage-');
  });
  afterEach(() => cleanup(dir));

  it('a journal damaged in the middle: no .bak is named, and the truncate it suggests keeps the good lines', async () => {
    const s = open(dir);
    await s.open();
    for (let i = 0; i < 5; i++) await s.putRecipient(emptyRecipient(`good-${i}@example.org`));
    await s.durable();
    const journal = path.join(dir, readdirSync(dir).find((n) => n.startsWith('journal-'))!);
    // As a write that went wrong would leave it: a broken line with a good one after it.
    appendFileSync(journal, `{"c":"r","k":"half\n${JSON.stringify({ c: 'r', k: 'after@example.org', v: emptyRecipient('after@example.org') })}\n`);

    const err = await openError(dir);
    expect(err.message).toMatch(/journal line 6 is damaged/);
    expect(err.message).not.toMatch(/\.bak/);
    const cmd = /`truncate -s (\d+) (\S+)`/.exec(err.message);
    expect(cmd, err.message).not.toBeNull();
    expect(cmd![2]).toBe(journal);
    expect(existsSync(cmd![2]!)).toBe(true);
    execFileSync('truncate', ['-s', cmd![1]!, cmd![2]!]);
    const back = open(dir);
    await back.open({ readOnly: true });
    for (let i = 0; i < 5; i++) expect((await back.getRecipient(`good-${i}@example.org`))).toBeDefined();
  });

  it('a snapshot shard without a .bak says there is none; with one, it names it', async () => {
    const s = open(dir);
    await s.open();
    await s.putRecipient(emptyRecipient('x@example.org'));
    await s.close();
    const shard = path.join(dir, 'recipients-0.json');
    for (const f of readdirSync(dir)) if (f.endsWith('.bak')) cleanup(path.join(dir, f));
    writeFileSync(shard, '{"items": {"x@exa');
    const noBak = await openError(dir);
    expect(noBak.message).toMatch(/\.bak does not exist/);
    expect(noBak.message).not.toMatch(/copy the previous good version/);
    writeFileSync(`${shard}.bak`, '{"items":{}}');
    const withBak = await openError(dir);
    expect(withBak.message).toContain(`copy the previous good version ${shard}.bak`);
  });
});
