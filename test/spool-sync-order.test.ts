// Proves the syncs behind each submission 250 on a real run: the server runs under strace, and for
// every "250 ... queued as Q" written to a client socket, the trace must show, before that write,
// the pwrite of Q's spool record, then an fdatasync of that segment started after the pwrite and
// finished, and an fsync of the spool directory after the segment file was created. SIGKILL keeps
// the page cache, so only this kind of test fails when a sync is deleted or no longer awaited.
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordType, decodeMessagePayload, scanSegment } from '../src/spool/record-format.js';
import { Upstream } from './helpers/upstream.js';
import { cleanup, tempDir, waitFor } from './helpers/rebound.js';
import { CLI, canConnect, childConfig, freePort, requireBuild, writeConfig } from './helpers/child.js';

function straceProblem(): string | null {
  try {
    execFileSync('strace', ['-o', '/dev/null', 'true'], { stdio: 'ignore' });
    return null;
  } catch (err) {
    return `strace is not usable here (${(err as Error).message.split('\n')[0]}); apt-get install -y strace`;
  }
}
const problem = straceProblem();
if (problem) console.warn(`SKIPPED spool sync-order test: ${problem}`);

let up: Upstream;
let dir = '';
const started: Array<{ kill: () => void }> = [];

beforeAll(async () => {
  requireBuild();
  up = await new Upstream({ rcpt: { '': '451 4.3.0 try again later' } }).start(); // keeps everything spooled
  dir = tempDir('rebound-syncs-');
});

afterAll(async () => {
  for (const s of started) s.kill();
  await up?.stop();
  if (dir) cleanup(dir);
});

interface Call { name: string; pid: string; path: string; args: string; start: number; end: number; ret: number }

/** strace -f -y output to calls with their entry and exit positions (lines), resumed calls joined. */
function parseTrace(text: string): Call[] {
  const calls: Call[] = [];
  const pending = new Map<string, Call>();
  text.split('\n').forEach((line, i) => {
    const m = /^(\d+) +(.*)$/.exec(line);
    if (!m) return;
    const [, pid, rest] = m as unknown as [string, string, string];
    const resumed = /^<\.\.\. (\w+) resumed>(.*)$/.exec(rest);
    if (resumed) {
      const c = pending.get(pid);
      pending.delete(pid);
      if (!c) return;
      c.args += resumed[2]!;
      c.end = i;
      c.ret = Number(/\) += (-?\d+)/.exec(resumed[2]!)?.[1] ?? -1);
      calls.push(c);
      return;
    }
    const call = /^(\w+)\((\d+)<([^>]*)>(.*)$/.exec(rest) ?? /^(\w+)\((AT_FDCWD)<([^>]*)>(.*)$/.exec(rest);
    if (!call) return;
    const c: Call = { name: call[1]!, pid, path: call[3]!, args: call[4]!, start: i, end: i, ret: -1 };
    if (rest.endsWith('<unfinished ...>')) pending.set(pid, c);
    else {
      c.ret = Number(/\) += (-?\d+)/.exec(c.args)?.[1] ?? -1);
      calls.push(c);
    }
  });
  return calls;
}

/** Every Message record on disk: its segment file, offset and length. */
function recordsOnDisk(spoolDir: string): Map<string, { file: string; offset: number; length: number }> {
  const out = new Map<string, { file: string; offset: number; length: number }>();
  for (const f of readdirSync(spoolDir).sort()) {
    const file = path.join(spoolDir, f);
    for (const r of scanSegment(readFileSync(file)).records) {
      if (r.type !== RecordType.Message) continue;
      const { meta } = decodeMessagePayload(r.payload);
      const q = (meta as { envelope: { queueId: string } }).envelope.queueId;
      if (!out.has(q)) out.set(q, { file, offset: r.offset, length: r.headerBytes + r.payload.length });
    }
  }
  return out;
}

interface Run { acked: string[]; violations: string[]; datasyncs: number; dirSyncs: number; segments: number }

async function tracedRun(name: string, fsync: boolean): Promise<Run> {
  const dataDir = path.join(dir, name);
  const spoolDir = path.join(dataDir, 'spool');
  const port = await freePort();
  const configFile = path.join(dir, `${name}.json`);
  writeConfig(configFile, childConfig(dataDir, port, up.port, { spool: { segmentBytes: 32 * 1024, fsync } }));
  const traceFile = path.join(dir, `${name}.trace`);
  const env = { ...process.env };
  delete env.NODE_ENV;
  const tracer = spawn('strace', ['-f', '-y', '-qq', '-s', '256', '-o', traceFile,
    '-e', 'trace=openat,pwrite64,pwritev,write,writev,fdatasync,fsync', process.execPath, CLI, 'start', '--config', configFile],
  { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  tracer.stdout.on('data', (d) => (out += d));
  tracer.stderr.on('data', (d) => (out += d));
  const tracerExit = new Promise((r) => tracer.once('exit', r));
  let reboundPid = 0;
  const killRebound = () => {
    if (reboundPid) process.kill(reboundPid, 'SIGKILL'); // the traced child; strace then exits by itself
    else tracer.kill('SIGKILL');
  };
  started.push({ kill: () => { try { killRebound(); } catch { /* already gone */ } } });
  await waitFor(() => /"msg":"rebound started"/.test(out), 30_000, 50).catch(() => {
    throw new Error(`rebound under strace did not start:\n${out.slice(-3000)}`);
  });
  // The traced rebound is strace's child.
  reboundPid = Number(readFileSync(`/proc/${tracer.pid}/task/${tracer.pid}/children`, 'utf8').trim().split(/\s+/)[0]);
  expect(await canConnect(port)).toBe(true);

  const t = nodemailer.createTransport({ host: '127.0.0.1', port, pool: true, maxConnections: 8, maxMessages: Infinity, ignoreTLS: true });
  const responses = await Promise.all(Array.from({ length: 120 }, (_, i) =>
    t.sendMail({ from: 'app@example.com', to: `r${i % 5}@example.org`, subject: `sync ${i}`, text: `${i} ${'y'.repeat(1500)}` })
      .then((info) => info.response)));
  t.close();
  killRebound();
  await tracerExit;

  const acked = responses.map((r) => /^250 .*queued as (\S+)/.exec(r)?.[1]).filter((q): q is string => !!q);
  const calls = parseTrace(readFileSync(traceFile, 'utf8'));
  const isSeg = (p: string) => p.startsWith(spoolDir + '/seg-');
  const writes = calls.filter((c) => (c.name === 'pwrite64' || c.name === 'pwritev') && isSeg(c.path)).map((c) => {
    // "..., LENGTH, OFFSET) = WRITTEN" (pwritev: "[iovecs], COUNT, OFFSET)"); the offset is the last argument.
    const args = c.args.replace(' <unfinished ...>', '').replace(/\) += -?\d+.*$/, '');
    return { ...c, offset: Number(/, (\d+)$/.exec(args)?.[1] ?? -1) };
  });
  const datasyncs = calls.filter((c) => c.name === 'fdatasync' && isSeg(c.path) && c.ret === 0);
  const dirSyncs = calls.filter((c) => c.name === 'fsync' && c.path === spoolDir && c.ret === 0);
  const creates = calls.filter((c) => c.name === 'openat' && /O_CREAT/.test(c.args) && /seg-\d+\.log/.test(c.args));
  const replies = calls.filter((c) => (c.name === 'write' || c.name === 'writev') && /queued as /.test(c.args));
  const onDisk = recordsOnDisk(spoolDir);
  const violations: string[] = [];
  for (const q of acked) {
    const reply = replies.find((c) => c.args.includes(`queued as ${q}`));
    const rec = onDisk.get(q);
    if (!reply || !rec) {
      violations.push(`${q}: ${reply ? '' : 'no 250 in the trace '}${rec ? '' : 'no record on disk'}`);
      continue;
    }
    const w = writes.find((c) => c.path === rec.file && c.offset <= rec.offset && c.offset + c.ret >= rec.offset + rec.length && c.end < reply.start);
    if (!w) {
      violations.push(`${q}: its record was not written before the 250`);
      continue;
    }
    if (!datasyncs.some((d) => d.path === rec.file && d.start > w.end && d.end < reply.start)) {
      violations.push(`${q}: no fdatasync of ${path.basename(rec.file)} between its write and its 250`);
    }
    const created = creates.find((c) => c.args.includes(rec.file)); // every segment is new in this run
    if (!created) violations.push(`${q}: no creation of ${path.basename(rec.file)} in the trace`);
    else if (!dirSyncs.some((d) => d.start > created.end && d.end < reply.start)) {
      violations.push(`${q}: the spool directory was not synced between creating ${path.basename(rec.file)} and the 250`);
    }
  }
  return { acked, violations, datasyncs: datasyncs.length, dirSyncs: dirSyncs.length, segments: onDisk.size ? new Set([...onDisk.values()].map((r) => r.file)).size : 0 };
}

describe.skipIf(problem !== null)('spool: each submission 250 follows the sync that covers it (strace)', () => {
  it('every 250 comes after its record was written, fdatasynced and its new segment entry synced', { timeout: 120_000 }, async () => {
    const run = await tracedRun('synced', true);
    console.log(`sync order: ${run.acked.length} acknowledged, ${run.datasyncs} fdatasyncs, ${run.dirSyncs} directory fsyncs, ${run.segments} segments; violations ${run.violations.length}`);
    expect(run.acked.length).toBe(120);
    expect(run.segments).toBeGreaterThan(2); // rotation (and its directory sync) was exercised
    expect(run.violations).toEqual([]);
    // Group commit: syncs are shared, but never fewer than one per segment written.
    expect(run.datasyncs).toBeGreaterThanOrEqual(run.segments);
  });

  it('the same check flags every 250 when the spool does not sync (the check can fail)', { timeout: 120_000 }, async () => {
    const run = await tracedRun('unsynced', false);
    expect(run.acked.length).toBe(120);
    expect(run.datasyncs).toBe(0);
    expect(run.violations.filter((v) => /no fdatasync/.test(v))).toHaveLength(run.acked.length);
    expect(run.violations.filter((v) => /directory was not synced/.test(v)).length).toBeGreaterThan(0);
  });
});
