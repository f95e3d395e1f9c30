// The order of the real system calls, seen by strace on a real `rebound start`: the 250 of a
// report is written to the socket only after the raw report's fsync and a journal fdatasync (the
// store's durable() covering its effects) have returned. Skipped, with the reason, without strace.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arf } from '../src/sandbox/reports.js';
import { Upstream } from './helpers/upstream.js';
import { cleanup, send, tempDir, waitFor } from './helpers/rebound.js';
import { CLI, canConnect, childConfig, freePort, requireBuild, sleep, writeConfig } from './helpers/child.js';
import { RawClient } from './abuse/raw-smtp.js';

function straceMissing(): string | null {
  try {
    execFileSync('strace', ['-V'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'strace is not installed (apt-get install strace)';
  }
}
const skip = straceMissing();
const DOMAIN = 'Bounces.Strace.test';

/** Index of the line where the call that `start` (a line index) made returns, following "<unfinished ...>". */
function completion(lines: string[], start: number, call: string): number {
  if (!lines[start]!.includes('<unfinished ...>')) return start;
  const pid = lines[start]!.split(/\s+/)[0];
  const resumed = new RegExp(`^${pid}\\s+<\\.\\.\\. ${call} resumed>`);
  for (let i = start + 1; i < lines.length; i++) if (resumed.test(lines[i]!)) return i;
  return -1;
}

describe.skipIf(skip !== null)(`return path under strace${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let up: Upstream;
  let dir: string;
  let strace: ReturnType<typeof spawn> | null = null;

  beforeAll(async () => {
    requireBuild();
    up = await new Upstream().start();
    dir = tempDir('rebound-strace-');
  });
  afterAll(async () => {
    if (strace && strace.exitCode === null) strace.kill('SIGKILL');
    await up?.stop();
    if (dir) cleanup(dir);
  });

  it('writes the 250 of a complaint after the .eml fsync and a journal fdatasync returned', { timeout: 90_000 }, async () => {
    const port = await freePort();
    const rpPort = await freePort();
    const file = path.join(dir, 'config.json');
    writeConfig(file, childConfig(path.join(dir, 'data'), port, up.port, {
      log: { level: 'warn' },
      returnPath: { domain: DOMAIN, secret: 'strace-secret-0123456789abcdef', port: rpPort },
      store: { flushIntervalMs: 600_000, compactIntervalMs: 600_000 },
    }));
    const trace = path.join(dir, 'trace.txt');
    const env = { ...process.env };
    delete env.NODE_ENV;
    strace = spawn('strace', ['-f', '-y', '-qq', '-s', '160', '-e', 'trace=fsync,fdatasync,write,writev,sendto,sendmsg', '-o', trace, process.execPath, CLI, 'start', '--config', file], { env, stdio: 'ignore' });
    const exited = new Promise<void>((r) => strace!.once('exit', () => r()));
    for (const end = Date.now() + 30_000; !(await canConnect(port)) || !(await canConnect(rpPort)); await sleep(100)) {
      if (Date.now() > end || strace.exitCode !== null) throw new Error(`rebound under strace did not start: ${readFileSync(trace, 'utf8').slice(-2_000)}`);
    }
    let id = '';
    try {
      const rcpt = 'Traced.Mixed@Example.ORG';
      await send(port, { from: 'News@Shop.Example', to: rcpt, subject: 'traced' });
      const m = await waitFor(() => up.received.find((x) => x.to.some((t) => t.toLowerCase() === rcpt.toLowerCase())), 20_000);
      await sleep(500);
      const raw = m.raw.toString('latin1');
      const report = arf({ envelopeFrom: m.from, rcpt: m.to[0]!, headers: raw.slice(0, raw.indexOf('\r\n\r\n') + 2), messageId: null, subject: 'traced' }, 'fbl.example', '192.0.2.9');
      const { client } = await RawClient.connect(rpPort, { timeoutMs: 20_000 });
      for (const c of ['EHLO fbl.example\r\n', 'MAIL FROM:<>\r\n', `RCPT TO:<${m.from}>\r\n`, 'DATA\r\n']) await client.say(c, 20_000);
      await client.write(`${report}\r\n.\r\n`);
      const answer = await client.reply(20_000);
      client.destroy();
      expect(answer?.code, answer?.text).toBe(250);
      id = /report ([0-9a-f-]{36})/.exec(answer!.text)![1]!;
    } finally {
      // The traced node process is strace's child: end it by its PID, then strace ends.
      const children = readFileSync(`/proc/${strace.pid}/task/${strace.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
      for (const pid of children) process.kill(Number(pid), 'SIGTERM');
      await Promise.race([exited, sleep(20_000)]);
    }

    const lines = readFileSync(trace, 'utf8').split('\n');
    const reply = lines.findIndex((l) => /^\d+\s+(?:write|writev|sendto|sendmsg)\(\d+<(?:TCP|TCPv6|socket)/.test(l) && l.includes(`250 2.0.0 Ok: report ${id}`));
    const emlStart = lines.findIndex((l) => /^\d+\s+fsync\(\d+</.test(l) && l.includes(`${id}.eml>`));
    const jsonStart = lines.findIndex((l) => /^\d+\s+fsync\(\d+</.test(l) && l.includes(`${id}.json>`));
    expect(reply, `the 250 write is in the trace; lines naming the report: ${JSON.stringify(lines.filter((l) => l.includes(id)).slice(0, 6))}`).toBeGreaterThan(0);
    expect(emlStart, 'the raw report was fsynced').toBeGreaterThanOrEqual(0);
    expect(jsonStart, 'the parsed report was fsynced').toBeGreaterThanOrEqual(0);
    const emlDone = completion(lines, emlStart, 'fsync');
    const jsonDone = completion(lines, jsonStart, 'fsync');
    // A journal fdatasync that started after the archive was synced (so it covers the report's
    // effects) and returned before the 250 was written.
    const journal = lines
      .map((l, i) => ({ l, i }))
      .filter(({ l, i }) => i > jsonDone && /^\d+\s+fdatasync\(\d+<[^>]*journal-\d+\.jsonl>/.test(l))
      .map(({ i }) => completion(lines, i, 'fdatasync'));
    console.log(`[strace] .eml fsync returned at line ${emlDone}, .json at ${jsonDone}, journal fdatasync(s) at ${journal.join(',') || 'none'}, 250 written at ${reply}`);
    expect(emlDone).toBeGreaterThan(-1);
    expect(emlDone).toBeLessThan(reply);
    expect(jsonDone).toBeLessThan(reply);
    expect(journal.some((i) => i > -1 && i < reply), 'no journal fdatasync between the archive sync and the 250').toBe(true);
  });
});
