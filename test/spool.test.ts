import { promises as fsp, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Spool } from '../src/spool/index.js';
import { RecordType, encodeMessagePayload, encodeRecord } from '../src/spool/record-format.js';
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

function spoolBytes(dir: string): number {
  const d = path.join(dir, 'spool');
  return readdirSync(d).reduce((n, f) => n + statSync(path.join(d, f)).size, 0);
}

describe('spool reclaim: disk use follows live data', () => {
  it('one long-deferred big message does not keep the segments after it', async () => {
    const dir = newDir();
    const s = spoolAt(dir, 64 * 1024);
    await s.open();
    const big = Buffer.alloc(600 * 1024, 68);
    await s.accept(env('BIG'), big);
    const small = Buffer.alloc(4000, 69);
    for (let i = 0; i < 200; i++) await s.accept(env(`S${i}`), small);
    expect(readdirSync(path.join(dir, 'spool')).length).toBeGreaterThan(10);
    for (let i = 0; i < 200; i++) await s.complete(`S${i}`);
    await s.reclaim();
    // The big message's segment (mostly that message) and the active one remain.
    expect(spoolBytes(dir)).toBeLessThan(big.length + 2 * 64 * 1024);
    const again = spoolAt(dir, 64 * 1024); // no close: as after a crash
    const rec = await again.open();
    expect(rec.map((m) => m.envelope.queueId)).toEqual(['BIG']);
    expect((await again.readRaw('BIG')).equals(big)).toBe(true);
    await again.close();
  });

  it('an outage that defers a third of the traffic: finished mail is reclaimed, deferred mail keeps its latest state', async () => {
    const dir = newDir();
    const s = spoolAt(dir, 64 * 1024);
    await s.open();
    const raw = Buffer.alloc(3000, 70);
    for (let i = 0; i < 300; i++) await s.accept(env(`O${i}`), raw);
    const deferred = Array.from({ length: 100 }, (_, k) => `O${k * 3}`);
    const stateOf = (q: string) => ({ done: [], attempts: { 'a@example.org': 2 }, nextAttemptAt: 1000 + Number(q.slice(1)) });
    for (let i = 0; i < 300; i++) {
      const q = `O${i}`;
      if (i % 3 === 0) await s.saveState(q, stateOf(q));
      else await s.complete(q);
    }
    const before = spoolBytes(dir);
    for (let round = 0; round < 3; round++) await s.reclaim();
    const live = 100 * (raw.length + 200);
    expect(spoolBytes(dir)).toBeLessThan(2 * live + 2 * 64 * 1024);
    expect(spoolBytes(dir)).toBeLessThan(before / 2);
    const again = spoolAt(dir, 64 * 1024);
    const rec = await again.open();
    expect(rec.map((m) => m.envelope.queueId).sort()).toEqual([...deferred].sort());
    for (const m of rec) expect(m.state).toEqual(stateOf(m.envelope.queueId));
    await again.close();
  });

  it('keeps a Done record while the message it cancels is still on disk in a segment that stays', async () => {
    const dir = newDir();
    const s = spoolAt(dir, 64 * 1024);
    await s.open();
    await s.accept(env('KEEP'), Buffer.alloc(60 * 1024, 71)); // makes its segment mostly live
    await s.accept(env('GONE'), Buffer.alloc(1000, 72));
    await s.accept(env('FILL'), Buffer.alloc(8 * 1024, 73)); // rotates
    await s.complete('GONE'); // the Done lands in a later segment
    await s.complete('FILL');
    for (let i = 0; i < 40; i++) {
      await s.accept(env(`F${i}`), Buffer.alloc(4000, 74));
      await s.complete(`F${i}`);
    }
    for (let round = 0; round < 3; round++) await s.reclaim();
    const again = spoolAt(dir, 64 * 1024);
    const rec = await again.open();
    expect(rec.map((m) => m.envelope.queueId)).toEqual(['KEEP']);
    await again.close();
  });
});

describe('spool recovery never reads message data as records', () => {
  const forged = (marker: Buffer) => {
    const meta = { envelope: { ...env('FORGED', ['victim1@example.net', 'victim2@example.net']), from: 'ceo@bank.example' } };
    return encodeRecord(marker, RecordType.Message, encodeMessagePayload(meta, Buffer.from('Subject: wire the money\r\n\r\nnow\r\n')));
  };

  it('a torn write whose body holds a well-formed record (even with the segment marker) brings nothing back', async () => {
    const dir = newDir();
    const s = spoolAt(dir);
    await s.open();
    await s.accept(env('BEFORE'), Buffer.from('fine\r\n'));
    await s.close();
    const seg = path.join(dir, 'spool', readdirSync(path.join(dir, 'spool')).sort().at(-1)!);
    const file = readFileSync(seg);
    const marker = file.subarray(4, 12); // the worst case: the attacker knew it
    const body = Buffer.concat([Buffer.from('Subject: hi\r\n\r\n'), forged(marker), forged(Buffer.alloc(8, 7)), Buffer.alloc(5000, 88)]);
    const torn = encodeRecord(marker, RecordType.Message, encodeMessagePayload({ envelope: env('ATTACK') }, body));
    writeFileSync(seg, Buffer.concat([file, torn.subarray(0, torn.length - 100)]));
    const again = spoolAt(dir);
    const rec = await again.open();
    expect(rec.map((m) => m.envelope.queueId)).toEqual(['BEFORE']);
    await again.close();
  });

  it('past a damaged header it resumes only at a real record, not at a record inside a body', async () => {
    const dir = newDir();
    const s = spoolAt(dir);
    await s.open();
    await s.accept(env('ONE'), Buffer.concat([Buffer.from('Subject: x\r\n\r\n'), forged(Buffer.alloc(8, 7)), forged(Buffer.alloc(8, 0))]));
    await s.accept(env('TWO'), Buffer.from('two\r\n'));
    await s.close();
    const seg = path.join(dir, 'spool', readdirSync(path.join(dir, 'spool')).sort().at(-1)!);
    const buf = readFileSync(seg);
    buf[16 + 10] ^= 0xff; // the first record's length field
    writeFileSync(seg, buf);
    const again = spoolAt(dir);
    const rec = await again.open();
    expect(rec.map((m) => m.envelope.queueId)).toEqual(['TWO']);
    expect(readdirSync(path.join(dir, 'quarantine'))).toHaveLength(1);
    await again.close();
  });
});

describe('spool: segments of the previous format (RBQ1)', () => {
  const v1 = (type: number, payload: Buffer) => {
    const h = Buffer.alloc(13);
    h.write('RBQ1', 0, 'latin1');
    h.writeUInt8(type, 4);
    h.writeUInt32BE(payload.length, 5);
    h.writeUInt32BE(crc32(payload), 9);
    return Buffer.concat([h, payload]);
  };

  it('are read after an upgrade, and their live messages move into the new format when cleaned', async () => {
    const dir = newDir();
    mkdirSync(path.join(dir, 'spool'), { recursive: true });
    const body = Buffer.from('Subject: old\r\n\r\nfrom before the upgrade\r\n');
    const seg = path.join(dir, 'spool', 'seg-00000001.log');
    writeFileSync(seg, Buffer.concat([
      v1(1, encodeMessagePayload({ envelope: env('OLD1') }, body)),
      v1(1, encodeMessagePayload({ envelope: env('OLD2') }, body)),
      v1(3, Buffer.from(JSON.stringify({ queueId: 'OLD2' }))),
      v1(1, encodeMessagePayload({ envelope: env('OLD3') }, body)),
      v1(3, Buffer.from(JSON.stringify({ queueId: 'OLD3' }))),
    ]));
    const s = spoolAt(dir);
    const rec = await s.open();
    expect(rec.map((m) => m.envelope.queueId)).toEqual(['OLD1']);
    expect((await s.readRaw('OLD1')).equals(body)).toBe(true);
    expect(await s.reclaim()).toEqual({ deleted: 1, relocated: 1 }); // a third live: cleaned
    expect(readdirSync(path.join(dir, 'spool'))).not.toContain('seg-00000001.log');
    await s.close();
    const again = spoolAt(dir);
    expect((await again.open()).map((m) => m.envelope.queueId)).toEqual(['OLD1']);
    expect((await again.readRaw('OLD1')).equals(body)).toBe(true);
    await again.close();
  });
});
