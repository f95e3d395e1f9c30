import { promises as fsp, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Spool } from '../src/spool/index.js';
import { silentLogger } from '../src/util/logger.js';
import type { Envelope } from '../src/types.js';
import { cleanup, tempDir } from './helpers/rebound.js';
import { pino } from 'pino';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) cleanup(d);
});

function spoolAt(dir: string, segmentBytes = 1 << 20, logger = silentLogger()): Spool {
  return new Spool({ dir: path.join(dir, 'spool'), quarantineDir: path.join(dir, 'quarantine'), segmentBytes, fsync: true, logger });
}

function env(queueId: string, rcpts = ['a@example.org']): Envelope {
  return { queueId, from: 's@example.com', rcpts, messageId: `${queueId}@test`, receivedAt: Date.now(), size: 10, user: null, clientIp: '127.0.0.1', smtpUtf8: false, bodyType: '7bit' };
}

function newDir(): string {
  const d = tempDir('rebound-spool-');
  dirs.push(d);
  return d;
}

describe('spool', () => {
  it('recovers accepted messages, their state and raw bytes after a restart', async () => {
    const dir = newDir();
    const s = spoolAt(dir);
    await s.open();
    await Promise.all([1, 2, 3].map((i) => s.accept(env(`Q${i}`, ['a@x.org', 'b@x.org']), Buffer.from(`message ${i}\r\n`))));
    await s.saveState('Q2', { done: ['a@x.org'], attempts: { 'a@x.org': 1, 'b@x.org': 1 }, nextAttemptAt: 1234 });
    await s.complete('Q3');
    // no close(): simulate a crash
    const again = spoolAt(dir);
    const rec = await again.open();
    expect(rec.map((m) => m.envelope.queueId).sort()).toEqual(['Q1', 'Q2']);
    expect(rec.find((m) => m.envelope.queueId === 'Q2')!.state).toEqual({ done: ['a@x.org'], attempts: { 'a@x.org': 1, 'b@x.org': 1 }, nextAttemptAt: 1234 });
    expect((await again.readRaw('Q1')).toString()).toBe('message 1\r\n');
    await again.close();
  });

  it('group-commits concurrent writers into few syncs', async () => {
    const dir = newDir();
    const s = spoolAt(dir);
    await s.open();
    await Promise.all(Array.from({ length: 500 }, (_, i) => s.accept(env(`G${i}`), Buffer.alloc(2000, 65))));
    expect(s.size).toBe(500);
    await s.close();
    const again = spoolAt(dir);
    expect(await again.open()).toHaveLength(500);
    await again.close();
  });

  it('drops a torn final record (never acknowledged) and keeps everything before it', async () => {
    const dir = newDir();
    const s = spoolAt(dir);
    await s.open();
    await s.accept(env('T1'), Buffer.from('one'));
    await s.accept(env('T2'), Buffer.from('two'));
    await s.close();
    const seg = path.join(dir, 'spool', readdirSync(path.join(dir, 'spool')).sort().at(-1)!);
    const size = (await fsp.stat(seg)).size;
    await fsp.truncate(seg, size - 2);
    const again = spoolAt(dir);
    const rec = await again.open();
    expect(rec.map((m) => m.envelope.queueId)).toEqual(['T1']);
    await again.close();
  });

  it('quarantines a corrupted record with a clear log line and keeps the others', async () => {
    const dir = newDir();
    const s = spoolAt(dir);
    await s.open();
    for (const i of [1, 2, 3]) await s.accept(env(`C${i}`), Buffer.from(`payload-${i}-`.repeat(20)));
    await s.close();
    const seg = path.join(dir, 'spool', readdirSync(path.join(dir, 'spool')).sort()[0]!);
    const buf = await fsp.readFile(seg);
    const at = buf.indexOf('payload-2-');
    buf[at + 3] ^= 0xff; // flip a byte inside the second message
    await fsp.writeFile(seg, buf);
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => lines.push(l) });
    const again = spoolAt(dir, 1 << 20, logger);
    const rec = await again.open();
    expect(rec.map((m) => m.envelope.queueId).sort()).toEqual(['C1', 'C3']);
    const q = readdirSync(path.join(dir, 'quarantine'));
    expect(q).toHaveLength(1);
    const log = lines.map((l) => JSON.parse(l)).find((l) => l.quarantined);
    expect(log).toMatchObject({ why: 'checksum mismatch', level: 50 });
    expect(log.msg).toMatch(/quarantine/);
    await again.close();
  });

  it('reclaims finished segments, and copies a few long-deferred messages forward so old segments can go', async () => {
    const dir = newDir();
    const s = spoolAt(dir, 64 * 1024);
    await s.open();
    const raw = Buffer.alloc(4000, 66);
    for (let i = 0; i < 60; i++) await s.accept(env(`R${i}`), raw); // several segments
    const spoolDir = path.join(dir, 'spool');
    const before = readdirSync(spoolDir).length;
    expect(before).toBeGreaterThan(3);
    for (let i = 0; i < 60; i++) if (i !== 5) await s.complete(`R${i}`);
    const r = await s.reclaim();
    expect(r.relocated).toBe(1);
    expect(readdirSync(spoolDir).length).toBeLessThan(before);
    expect((await s.readRaw('R5')).equals(raw)).toBe(true);
    // after a crash the survivor is still there, exactly once, and nothing finished comes back
    const again = spoolAt(dir, 64 * 1024);
    const rec = await again.open();
    expect(rec.map((m) => m.envelope.queueId)).toEqual(['R5']);
    await again.close();
  });
});
