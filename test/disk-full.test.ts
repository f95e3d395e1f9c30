import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Upstream } from './helpers/upstream.js';
import { send, startRebound, tempDir, testConfig, waitFor } from './helpers/rebound.js';
import type { Rebound } from '../src/main.js';

// A small tmpfs is a disk that really fills up. Needs root (CI and dev machines here are root).
const mnt = path.join(tempDir('rebound-tmpfs-'), 'disk');
let mounted = false;
try {
  mkdirSync(mnt, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mnt], { stdio: 'ignore' });
  mounted = true;
} catch {
  mounted = false;
}

describe.skipIf(!mounted)('disk full', () => {
  let up: Upstream;
  let app: Rebound;
  beforeAll(async () => {
    up = await new Upstream().start();
    // Upstream down at first would also work; here it is up, so acknowledged mail must arrive.
    app = await startRebound(testConfig(mnt, up.port, { spool: { segmentBytes: 256 * 1024 } }));
  });
  afterAll(async () => {
    await app?.stop(2_000);
    await up?.stop();
    execFileSync('umount', [mnt]);
    rmSync(path.dirname(mnt), { recursive: true, force: true });
  });

  it('answers 452 4.3.1 while the spool disk is full, and recovers when space returns', async () => {
    const ok1 = await send(app.ports.submission, { to: 'before@example.org' });
    expect(ok1.response).toMatch(/^250 /);
    const filler = path.join(mnt, 'filler');
    // Fill the disk completely.
    try {
      writeFileSync(filler, Buffer.alloc(4 * 1024 * 1024));
    } catch {
      /* ENOSPC: the disk is full now, which is the point */
    }
    await expect(send(app.ports.submission, { to: 'during@example.org', text: 'x'.repeat(50_000) })).rejects.toThrow(/452 4\.3\.1/);
    rmSync(filler);
    const ok2 = await send(app.ports.submission, { to: 'after@example.org' });
    expect(ok2.response).toMatch(/^250 /);
    await waitFor(() => up.deliveredTo().includes('before@example.org') && up.deliveredTo().includes('after@example.org'));
    expect(up.deliveredTo()).not.toContain('during@example.org');
  });
});
