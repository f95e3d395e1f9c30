// The follower: appends, rename rotation and copytruncate, with failures recorded while it runs.
import { appendFile, mkdtemp, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LowdbStore } from '../../src/store/index.js';
import { OutcomeRecorder } from '../../src/recipients/index.js';
import { ReconcileFollower } from '../../src/reconcile/follow.js';
import type { ReconcileMatch } from '../../src/reconcile/match.js';
import { silentLogger } from '../../src/util/logger.js';
import type { MessageRecord } from '../../src/types.js';

const T0 = Date.UTC(2024, 2, 3, 10, 0, 0);
const clock = { now: () => T0 + 60_000 };
let dir: string;
let store: LowdbStore;
let follower: ReconcileFollower | null = null;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'rebound-follow-'));
  store = new LowdbStore({ dir, shards: 2, flushIntervalMs: 60_000, eventRetentionDays: 3650, logger: silentLogger(), clock });
  await store.open();
});

afterEach(async () => {
  await follower?.stop();
  follower = null;
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

/** A message whose only recipient the upstream refused with 550 5.1.1 (flagged). */
async function bounced(queueId: string, messageId: string, rcpt: string): Promise<void> {
  await new OutcomeRecorder(store).recordAttempt({
    queueId, messageId, rcpt, attempt: 1, status: 'bounced', stage: 'rcpt', code: 550, enhanced: '5.1.1', response: '550 5.1.1 User unknown',
    mx: 'gw.example.net', ip: null, tls: false, startedAt: T0, finishedAt: T0, reason: 'userunknown', category: 'Invalid Email', hard: true,
  });
  const m: MessageRecord = {
    queueId, messageId, from: 'app@example.com', user: null, clientIp: '192.0.2.5', size: 1, receivedAt: T0, nextAttemptAt: null, status: 'done',
    rcpts: [{ rcpt, status: 'bounced', attempts: 1, lastCode: 550, lastEnhanced: '5.1.1', lastResponse: '550 5.1.1 User unknown', lastMx: 'gw.example.net', updatedAt: T0 }],
  };
  await store.putMessage(m);
}

/** Postfix lines that show `messageId` delivered to `rcpt` under upstream queue id `qid`. */
function delivered(qid: string, messageId: string, rcpt: string): string {
  return [
    `Mar  3 10:00:30 mx9 postfix/cleanup[5]: ${qid}: message-id=<${messageId}>`,
    `Mar  3 10:00:31 mx9 postfix/smtp[6]: ${qid}: to=<${rcpt}>, relay=mx.example.org[192.0.2.30]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)`,
    `Mar  3 10:00:31 mx9 postfix/qmgr[7]: ${qid}: removed`,
  ].join('\n') + '\n';
}

describe('ReconcileFollower', () => {
  it('follows appends, a partial last line, rename rotation and truncation', async () => {
    const file = path.join(dir, 'maillog');
    await bounced('F1AAAAAAAAAAAAAA', 'one@app.example', 'a@example.org');
    await writeFile(file, 'Mar  3 09:59:00 mx9 postfix/smtpd[1]: connect from relay.example.com[192.0.2.20]\n');
    const matches: ReconcileMatch[] = [];
    follower = new ReconcileFollower(store, [file], { logger: silentLogger(), clock, pollMs: 60_000, utcOffsetMinutes: 0, onMatch: (m) => matches.push(m) });
    await follower.start();
    expect(follower.files[0]).toMatchObject({ format: 'postfix', lines: 1 });

    // Appended in two writes, the first ending mid-line.
    const lines = delivered('AAA111BBB', 'one@app.example', 'a@example.org');
    await appendFile(file, lines.slice(0, 100));
    await follower.poll();
    expect(matches).toHaveLength(0);
    await appendFile(file, lines.slice(100));
    await follower.poll();
    expect(matches.map((m) => [m.verdict, m.rcpt, m.evidence.line])).toEqual([['mismatch', 'a@example.org', 3]]);
    expect((await store.getRecipient('a@example.org'))!.invalid).toBe(false);

    // A failure recorded after the follower built its index is still found (live lookup).
    await bounced('F2AAAAAAAAAAAAAA', 'two@app.example', 'b@example.org');
    // Rename rotation: a last line lands in the old file, then a new file appears at the path.
    await rename(file, file + '.1');
    await appendFile(file + '.1', delivered('CCC222DDD', 'two@app.example', 'b@example.org'));
    await bounced('F3AAAAAAAAAAAAAA', 'three@app.example', 'c@example.org');
    await writeFile(file, delivered('EEE333FFF', 'three@app.example', 'c@example.org'));
    await follower.poll();
    expect(matches.map((m) => m.rcpt)).toEqual(['a@example.org', 'b@example.org', 'c@example.org']);
    expect(matches[2]!.evidence).toMatchObject({ file, line: 2 });

    // copytruncate: same inode, size drops to zero, writing starts again.
    await bounced('F4AAAAAAAAAAAAAA', 'four@app.example', 'd@example.org');
    await truncate(file, 0);
    await follower.poll();
    await appendFile(file, delivered('ABCDEF999', 'four@app.example', 'd@example.org'));
    await follower.poll();
    expect(matches.map((m) => m.rcpt)).toEqual(['a@example.org', 'b@example.org', 'c@example.org', 'd@example.org']);
    expect(follower.files[0]!.rotations).toBe(2);

    // Nothing is applied twice: re-reading old lines after a truncation finds no open failures.
    expect(follower.counters).toMatchObject({ mismatches: 4, changed: 4 });
    for (const r of ['a', 'b', 'c', 'd']) expect((await store.getRecipient(`${r}@example.org`))).toMatchObject({ invalid: false, reconciledCount: 1 });
  });

  it('starts at the end of a file when asked, and keeps waiting for a path that does not exist yet', async () => {
    await bounced('F5AAAAAAAAAAAAAA', 'five@app.example', 'e@example.org');
    const old = path.join(dir, 'old.log');
    await writeFile(old, delivered('AB12CD34E', 'five@app.example', 'e@example.org'));
    const later = path.join(dir, 'later.log');
    follower = new ReconcileFollower(store, [old, later], { logger: silentLogger(), clock, pollMs: 60_000, utcOffsetMinutes: 0, startAt: 'end' });
    await follower.start();
    expect(follower.counters!.mismatches).toBe(0);
    await writeFile(later, delivered('AB12CD34F', 'five@app.example', 'e@example.org'));
    await follower.poll();
    expect(follower.counters!.mismatches).toBe(1);
  });
});
