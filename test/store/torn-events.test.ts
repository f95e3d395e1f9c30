// An event line torn by a crash at the end of a day file: skipped when read, and cut off before
// the next append, so the first event written after the restart is not glued to it and lost too.
import { appendFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LowdbStore } from '../../src/store/index.js';
import type { RecipientEvent } from '../../src/types.js';
import { silentLogger } from '../../src/util/logger.js';
import { allEvents, cleanup, tempDir } from '../helpers/rebound.js';

const open = (dir: string) =>
  new LowdbStore({ dir, shards: 2, flushIntervalMs: 3_600_000, compactIntervalMs: 3_600_000, eventRetentionDays: 30, logger: silentLogger(), clock: { now: () => Date.now() } });
const ev = (id: string): RecipientEvent => ({ type: 'suppress', id, time: Date.now(), rcpt: 'x@example.org', reason: null, queueId: null, by: 'operator' });

describe('torn event line', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('rebound-torn-events-');
  });
  afterEach(() => cleanup(dir));

  it('keeps every whole event and the first one written after the restart', async () => {
    const first = open(dir);
    await first.open();
    for (const id of ['a', 'b']) await first.appendEvents([ev(id)]);
    await first.flush();
    // The crash: half a line at the end (the first store is abandoned, never closed).
    const day = path.join(dir, 'events', readdirSync(path.join(dir, 'events'))[0]!);
    appendFileSync(day, '{"type":"suppress","id":"torn","ti');
    const second = open(dir);
    await second.open();
    await second.appendEvents([ev('after')]);
    await second.flush();
    const third = open(dir);
    await third.open({ readOnly: true });
    expect((await allEvents(third)).map((e) => e.id)).toEqual(['a', 'b', 'after']);
    await second.close();
  });
});
