import { gzipSync } from 'node:zlib';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { collect, fixture, tempDir, writeTemp } from './helpers.js';
import { readLog, readLogs, ReconcileError, type LogEvidence, type ReadStats } from '../../src/reconcile/index.js';

const dir = tempDir();
const REF = new Date('2024-03-10Z');

function pf(time: string, program: string, text: string): string {
  return `${time} mx1 postfix/${program}[7]: ${text}`;
}

describe('readLog', () => {
  it('gunzips by magic bytes, whatever the file name', async () => {
    const text = await readFile(fixture('postfix-bounce-unknown-user.txt'));
    const gz = await writeTemp(await dir(), 'maillog.1.gz', gzipSync(text));
    const noExt = await writeTemp(await dir(), 'maillog.1', gzipSync(text));
    const plain = await collect(fixture('postfix-bounce-unknown-user.txt'), { referenceDate: REF });
    for (const file of [gz, noExt]) {
      const { records, stats } = await collect(file, { referenceDate: REF });
      expect(records.map((r) => [r.queueId, r.status, r.rcpt])).toEqual(plain.records.map((r) => [r.queueId, r.status, r.rcpt]));
      expect(stats.lines).toBe(10);
    }
  });

  it('joins across a rotated set read oldest first (maillog.1.gz then maillog)', async () => {
    const d = await dir();
    const older = await writeTemp(d, 'rot.1.gz', gzipSync([pf('Mar  9 23:59:59', 'cleanup', 'F00D12345: message-id=<rot@x>'), pf('Mar  9 23:59:59', 'qmgr', 'F00D12345: from=<s@x>, size=1, nrcpt=1 (queue active)')].join('\n')));
    const newer = await writeTemp(d, 'rot', pf('Mar 10 00:00:01', 'smtp', 'F00D12345: to=<r@y>, relay=y[192.0.2.1]:25, delay=2, delays=0/0/0/2, dsn=2.0.0, status=sent (250 ok)'));
    const read = readLogs([older, newer], { referenceDate: REF, utcOffsetMinutes: 0 });
    const records: LogEvidence[] = [];
    for await (const r of read) records.push(r);
    expect(records).toMatchObject([{ file: newer, line: 1, messageId: 'rot@x', from: 's@x', rcpt: 'r@y' }]);
    expect(read.format).toBe('postfix');
  });

  it('counts malformed lines, keeps a few samples, and never stops', async () => {
    const lines = [pf('Mar  1 10:00:00', 'smtp', 'ABCDEF123: to=<ok@y>, relay=y, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)')];
    for (let i = 0; i < 20; i++) lines.push(`###broken ${i}`, pf('Mar  1 10:00:01', 'smtp', `ABCDEF${100 + i}: to=<r${i}@y>, relay=y, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)`));
    const file = await writeTemp(await dir(), 'noisy', lines.join('\r\n') + '\r\n');
    let final: ReadStats | undefined;
    const { records, stats } = await collect(file, { referenceDate: REF, maxMalformedSamples: 3, onStats: (s) => (final = s) });
    expect(records).toHaveLength(21);
    expect(records[0]!.reply).toBe('250 ok'); // CRLF stripped
    expect(stats).toMatchObject({ lines: 41, records: 21, malformed: 20 });
    expect(stats.malformedSamples).toEqual([
      { line: 2, text: '###broken 0' },
      { line: 4, text: '###broken 1' },
      { line: 6, text: '###broken 2' },
    ]);
    expect(final).toBe(stats);
  });

  it('drops records before `since` but still joins from earlier lines', async () => {
    const log = [
      pf('Mar  1 09:00:00', 'cleanup', 'AAA111BBB: message-id=<since@x>'),
      pf('Mar  1 09:00:01', 'smtp', 'AAA111BBB: to=<early@y>, relay=y, delay=1, delays=0/0/0/1, dsn=4.0.0, status=deferred (later)'),
      pf('Mar  1 11:00:00', 'smtp', 'AAA111BBB: to=<early@y>, relay=y, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)'),
    ].join('\n');
    const file = await writeTemp(await dir(), 'since', log);
    const { records, stats } = await collect(file, { referenceDate: REF, since: new Date('2024-03-01T10:00:00Z') });
    expect(records).toMatchObject([{ status: 'sent', messageId: 'since@x' }]);
    expect(stats.records).toBe(1);
  });

  it('reports a truncated gzip file and keeps what was read', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 5000; i++) lines.push(pf('Mar  1 10:00:00', 'smtp', `ABC${(0x100000 + i).toString(16).toUpperCase()}: to=<r${i}@y>, relay=y, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)`));
    const gz = gzipSync(lines.join('\n'));
    const file = await writeTemp(await dir(), 'cut.gz', gz.subarray(0, Math.floor(gz.length * 0.6)));
    const { records, stats } = await collect(file, { referenceDate: REF });
    expect(records.length).toBeGreaterThan(1000);
    expect(records.length).toBeLessThan(5000);
    expect(stats.truncated).toMatch(/unexpected end of file/);
  });

  it('cuts an absurdly long line, counts it once, and carries on', async () => {
    const ok = pf('Mar  1 10:00:00', 'smtp', 'ABCDEF123: to=<ok@y>, relay=y, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)');
    const file = await writeTemp(await dir(), 'huge', `${ok}\n${'x'.repeat(3_000_000)}\n${ok}\n`);
    const { records, stats } = await collect(file, { referenceDate: REF, format: 'postfix' });
    expect(records).toHaveLength(2);
    expect(stats.malformed).toBe(1);
    expect(stats.lines).toBe(3);
    expect(records[1]!.line).toBe(3);
  });

  it('keeps joining state bounded through readLog for ids never removed', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 30_000; i++) {
      const qid = (0x100000 + i).toString(16).toUpperCase();
      lines.push(pf('Mar  1 10:00:00', 'cleanup', `${qid}: message-id=<${i}@x>`), pf('Mar  1 10:00:00', 'qmgr', `${qid}: from=<s@x>, size=1, nrcpt=1 (queue active)`));
    }
    const file = await writeTemp(await dir(), 'never-removed', lines.join('\n'));
    const { stats } = await collect(file, { referenceDate: REF, maxOpenMessages: 500 });
    expect(stats.lines).toBe(60_000);
    expect(stats.peakOpenMessages).toBe(500);
  });

  it('throws a coded error when the format cannot be told, and rejects unknown formats', async () => {
    const file = await writeTemp(await dir(), 'unknown', 'hello\nworld\n');
    await expect(collect(file)).rejects.toMatchObject({ code: 'RECONCILE_UNKNOWN_FORMAT' });
    expect(() => readLog(file, { format: 'qmail' as never })).toThrow(ReconcileError);
  });

  it('reports stats when the consumer stops early, and yields nothing for an empty file', async () => {
    let final: ReadStats | undefined;
    const read = readLog(fixture('exim-mainlog-local-and-remote.txt'), { onStats: (s) => (final = s) });
    for await (const _ of read) break;
    expect(final?.records).toBe(1);
    const empty = await writeTemp(await dir(), 'empty', '');
    expect((await collect(empty)).records).toEqual([]);
  });
});
