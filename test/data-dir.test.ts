// One data directory, one server; and what is on disk is private whatever the umask.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Upstream } from './helpers/upstream.js';
import { cleanup, tempDir, waitFor } from './helpers/rebound.js';
import { CLI, ReboundChild, childConfig, freePort, requireBuild, writeConfig } from './helpers/child.js';
import { DataDirInUseError, holdDataDir } from '../src/datadir/index.js';

let up: Upstream;
let dir = '';
const children: ReboundChild[] = [];

beforeAll(async () => {
  requireBuild();
  up = await new Upstream({ rcpt: { defer: '451 4.3.0 try again later', bounce: '550 5.1.1 no such user' } }).start();
  dir = tempDir('rebound-datadir-');
});

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await up?.stop();
  if (dir) cleanup(dir);
});

/** Runs `rebound start` expecting it to give up; resolves with its exit code and output. */
function startExpectingRefusal(configFile: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env };
    delete env.NODE_ENV;
    const p = spawn(process.execPath, [CLI, 'start', '--config', configFile], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), 15_000);
    p.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('data directory lock', () => {
  it('a second server on the same dataDir refuses, naming the first one; a SIGKILLed holder does not block', { timeout: 60_000 }, async () => {
    const dataDir = path.join(dir, 'shared');
    const [p1, p2] = [await freePort(), await freePort()];
    writeConfig(path.join(dir, 'one.json'), childConfig(dataDir, p1, up.port));
    writeConfig(path.join(dir, 'two.json'), childConfig(dataDir, p2, up.port));
    const first = await ReboundChild.start(path.join(dir, 'one.json'), p1);
    children.push(first);

    const refused = await startExpectingRefusal(path.join(dir, 'two.json'));
    expect(refused.code).not.toBe(0);
    expect(refused.out).toContain(`in use by another rebound (pid ${first.pid}`);
    expect(first.running).toBe(true);

    first.kill('SIGKILL');
    await first.exited;
    expect(readdirSync(dataDir)).toContain('rebound.lock'); // left behind by the kill
    const second = await ReboundChild.start(path.join(dir, 'two.json'), p2);
    children.push(second);
    expect(await second.terminate()).toEqual({ code: 0, signal: null });
  });

  it('in one process too: the second hold is refused until the first is released', async () => {
    const d = path.join(dir, 'inproc');
    const lock = await holdDataDir(d);
    const err = await holdDataDir(d).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataDirInUseError);
    expect((err as DataDirInUseError).holder?.pid).toBe(process.pid);
    await lock.release();
    const again = await holdDataDir(d);
    await again.release();
  });

  it('a lock file nobody listens on (a plain file, the socket of a dead server) is taken over', async () => {
    const d = path.join(dir, 'leftover');
    mkdirSync(d);
    writeFileSync(path.join(d, 'rebound.lock'), 'left behind');
    const lock = await holdDataDir(d);
    expect(statSync(path.join(d, 'rebound.lock')).isSocket()).toBe(true);
    expect(readdirSync(d).filter((f) => f.startsWith('rebound.lock.'))).toEqual([]); // nothing left aside
    await lock.release();
  });
});

describe('file modes', () => {
  it('data directory 0700, spool segments and quarantine 0600 under umask 000', { timeout: 60_000 }, async () => {
    const dataDir = path.join(dir, 'modes');
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o777); // an existing, open directory is closed up too
    const port = await freePort();
    const configFile = path.join(dir, 'modes.json');
    writeConfig(configFile, childConfig(dataDir, port, up.port, { spool: { segmentBytes: 4096 } }));
    const startWithUmask0 = async () => {
      const old = process.umask(0);
      try {
        return await ReboundChild.start(configFile, port);
      } finally {
        process.umask(old);
      }
    };
    const first = await startWithUmask0();
    children.push(first);
    const t = nodemailer.createTransport({ host: '127.0.0.1', port, ignoreTLS: true });
    for (let i = 0; i < 5; i++) await t.sendMail({ from: 'app@example.com', to: 'defer@example.org', subject: `m${i}`, text: 'x'.repeat(3000) });
    await t.sendMail({ from: 'app@example.com', to: 'bounce@example.org', subject: 'kept for a resend', text: 'b' });
    t.close();
    const retainedDir = path.join(dataDir, 'retained');
    await waitFor(() => existsSync(retainedDir) && readdirSync(retainedDir).length > 0, 10_000, 50);
    first.kill('SIGKILL');
    await first.exited;
    // Damage one record so the restart has something to quarantine.
    const spoolDir = path.join(dataDir, 'spool');
    const seg = path.join(spoolDir, readdirSync(spoolDir).sort()[0]!);
    const buf = readFileSync(seg);
    buf[buf.length - 10] ^= 0xff;
    writeFileSync(seg, buf);
    const second = await startWithUmask0();
    children.push(second);

    const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);
    expect(mode(dataDir)).toBe('700');
    expect(mode(spoolDir)).toBe('700');
    const segs = readdirSync(spoolDir);
    expect(segs.length).toBeGreaterThan(1);
    for (const f of segs) expect(`${f} ${mode(path.join(spoolDir, f))}`).toBe(`${f} 600`);
    const qDir = path.join(dataDir, 'quarantine');
    expect(mode(qDir)).toBe('700');
    const q = readdirSync(qDir);
    expect(q.length).toBeGreaterThan(0);
    for (const f of q) expect(`${f} ${mode(path.join(qDir, f))}`).toBe(`${f} 600`);
    expect(mode(path.join(dataDir, 'rebound.lock'))).toBe('600');
    expect(mode(retainedDir)).toBe('700');
    for (const f of readdirSync(retainedDir)) expect(`${f} ${mode(path.join(retainedDir, f))}`).toBe(`${f} 600`);
    expect(await second.terminate()).toEqual({ code: 0, signal: null });
  });
});
