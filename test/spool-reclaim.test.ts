// Reclaim on a real server: one long-deferred big message must not keep the segments written
// after it on disk; after a SIGKILL and a restart it is still there (and only it).
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Upstream } from './helpers/upstream.js';
import { cleanup, tempDir, waitFor } from './helpers/rebound.js';
import { ReboundChild, childConfig, freePort, requireBuild, sleep, writeConfig } from './helpers/child.js';

let up: Upstream;
let dir = '';
const children: ReboundChild[] = [];

beforeAll(async () => {
  requireBuild();
  up = await new Upstream({ rcpt: { defer: '451 4.2.0 mailbox busy, try later' } }).start();
  dir = tempDir('rebound-reclaim-');
});

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await up?.stop();
  if (dir) cleanup(dir);
});

const SEGMENT = 64 * 1024;

describe('spool reclaim on a running server', () => {
  it('a deferred 600 KiB message does not pin the spool; it survives a SIGKILL', { timeout: 90_000 }, async () => {
    const dataDir = path.join(dir, 'data');
    const spoolDir = path.join(dataDir, 'spool');
    const port = await freePort();
    const configFile = path.join(dir, 'config.json');
    writeConfig(configFile, childConfig(dataDir, port, up.port, { spool: { segmentBytes: SEGMENT } }));
    const first = await ReboundChild.start(configFile, port);
    children.push(first);

    const t = nodemailer.createTransport({ host: '127.0.0.1', port, pool: true, maxConnections: 5, maxMessages: Infinity, ignoreTLS: true });
    await t.sendMail({ from: 'app@example.com', to: 'defer@example.org', subject: 'big', text: 'b'.repeat(600 * 1024) });
    await Promise.all(Array.from({ length: 300 }, (_, i) =>
      t.sendMail({ from: 'app@example.com', to: `ok${i}@example.org`, subject: `small ${i}`, text: 's'.repeat(3000) })));
    t.close();
    await waitFor(() => up.received.length >= 300, 30_000, 50);
    const spoolBytes = () => readdirSync(spoolDir).reduce((n, f) => n + statSync(path.join(spoolDir, f)).size, 0);
    const peak = spoolBytes();
    expect(peak).toBeGreaterThan(1_400_000); // ~1.6 MB written over ~25 segments
    // The server reclaims every 10 s: the big message's segment and the active one may stay.
    await waitFor(() => spoolBytes() < 700 * 1024 + 2 * SEGMENT, 25_000, 250).catch(() => {
      throw new Error(`spool still holds ${spoolBytes()} bytes in ${readdirSync(spoolDir).length} files (peak ${peak})`);
    });
    first.kill('SIGKILL');
    await first.exited;

    const before = up.received.length;
    up.opts.rcpt = {};
    const second = await ReboundChild.start(configFile, port);
    children.push(second);
    const started = await waitFor(() => second.logs().find((l) => l.msg === 'rebound started'), 10_000, 25);
    expect(started.queued).toBe(1);
    await waitFor(() => up.deliveredTo().includes('defer@example.org'), 20_000, 50);
    await sleep(1_000);
    const after = up.received.slice(before);
    expect(after.map((r) => r.to.join(','))).toEqual(['defer@example.org']);
    expect(after[0]!.raw.length).toBeGreaterThan(600 * 1024);
    expect(await second.terminate()).toEqual({ code: 0, signal: null });
  });
});
