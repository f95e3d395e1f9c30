// Disk trouble under load, against a child Rebound: the spool directory fills up (a small tmpfs)
// or becomes read-only (a read-only bind mount over it; root ignores chmod, so that is the honest
// way here). Submission must answer 452 4.3.1 while it lasts, recover by itself when the disk
// does, and every message it acknowledged must still reach the upstream.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Upstream } from '../helpers/upstream.js';
import { cleanup, tempDir, waitFor } from '../helpers/rebound.js';
import { ReboundChild, childConfig, freePort, requireBuild, sleep, writeConfig } from '../helpers/child.js';
import { ENABLED, Load, describeDuplicates, receivedCounts, settle } from './helpers.js';
import { report } from './summary.js';

const mounts: string[] = [];
function mount(args: string[], target: string): void {
  execFileSync('mount', [...args, target], { stdio: 'pipe' });
  mounts.push(target);
}
function umount(target: string): void {
  execFileSync('umount', [target], { stdio: 'pipe' });
  mounts.splice(mounts.lastIndexOf(target), 1);
}

/** Root and mount(8) available? (CI and the dev machines here run tests as root.) */
function canMount(): boolean {
  if (!ENABLED) return false;
  const probe = tempDir('rebound-mountprobe-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}
const MOUNTABLE = canMount();

let up: Upstream;
const dirs: string[] = [];
const children: ReboundChild[] = [];

beforeAll(async () => {
  if (!MOUNTABLE) return;
  requireBuild();
  up = await new Upstream().start();
});
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  for (const m of [...mounts].reverse()) execFileSync('umount', ['-l', m], { stdio: 'ignore' });
  await up?.stop();
  for (const d of dirs) cleanup(d);
});

interface Trouble {
  name: string;
  /** Mounts whatever the spool directory needs before start. */
  prepare(spoolDir: string): void;
  cause(spoolDir: string): void;
  cure(spoolDir: string): void;
  segmentBytes: number;
}

const TROUBLES: Trouble[] = [
  {
    name: 'spool disk full (4 MiB tmpfs filled up)',
    segmentBytes: 256 * 1024,
    prepare: (spool) => mount(['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs'], spool),
    cause: (spool) => {
      try {
        writeFileSync(path.join(spool, 'filler'), Buffer.alloc(8 * 1024 * 1024));
      } catch {
        /* ENOSPC: full now, which is the point */
      }
    },
    cure: (spool) => rmSync(path.join(spool, 'filler'), { force: true }),
  },
  {
    name: 'spool directory read-only (read-only bind mount over it)',
    // Small segments: the open segment stays writable through its descriptor; new segments cannot be created.
    segmentBytes: 32 * 1024,
    prepare: () => undefined,
    cause: (spool) => mount(['--bind', '-o', 'ro', spool], spool),
    cure: (spool) => umount(spool),
  },
];

describe.skipIf(!MOUNTABLE)('disk trouble', () => {
  for (const t of TROUBLES) {
    it(`${t.name}: 452 4.3.1 while it lasts, recovers, loses nothing acknowledged`, async () => {
      const dir = tempDir('rebound-disk-');
      dirs.push(dir);
      const spool = path.join(dir, 'data', 'spool');
      mkdirSync(spool, { recursive: true });
      t.prepare(spool);
      const port = await freePort();
      const configFile = path.join(dir, 'config.json');
      writeConfig(configFile, childConfig(path.join(dir, 'data'), port, up.port, { spool: { segmentBytes: t.segmentBytes } }));
      const child = await ReboundChild.start(configFile, port, 20_000);
      children.push(child);
      const base = up.received.length;
      const tag = (s: number) => 100_000 * (TROUBLES.indexOf(t) + 1) + s;
      const load = new Load(port, tag(0), { concurrency: 4, max: 5_000, maxMs: 60_000, size: 1_500 });
      await waitFor(() => load.result.acked.size >= 50, 20_000, 20);
      const ackedBefore = load.result.acked.size;
      t.cause(spool);
      const troubleStart = Date.now();
      // Wait for the refusals (bounded), then let the trouble last a little longer.
      await waitFor(() => (load.result.codes.get('452 4.3.1') ?? 0) >= 5, 20_000, 20).catch(() => undefined);
      await sleep(3_000);
      const ackedDuring = load.result.acked.size;
      const refusedDuring = load.result.codes.get('452 4.3.1') ?? 0;
      t.cure(spool);
      const cured = Date.now();
      // Recovery: acknowledgements resume by themselves, no restart.
      await waitFor(() => load.result.acked.size >= ackedDuring + 50, 20_000, 20);
      const recoveryMs = Date.now() - cured;
      const res = await load.stop();
      expect(child.running, `Rebound died on disk trouble\n${child.diagnostics()}`).toBe(true);
      await waitFor(() => {
        const got = receivedCounts(up);
        return [...res.acked].every((s) => got.has(s));
      }, 60_000, 100).catch(() => undefined);
      await settle(up, 1_000, 10_000);
      const got = receivedCounts(up);
      const lost = [...res.acked].filter((s) => !got.has(s));
      const mine = new Map([...got].filter(([s]) => s >= tag(0) && s < tag(100_000)));
      const { duplicates } = describeDuplicates(mine);
      const stop = await child.terminate();
      report(
        `Disk trouble, ${t.name}: under load (4 connections), ${ackedBefore} acknowledged before; during ${((cured - troubleStart) / 1000).toFixed(1)} s of trouble ` +
          `${refusedDuring} submissions answered 452 4.3.1 and ${ackedDuring - ackedBefore} were still acknowledged; acknowledgements resumed ` +
          `${(recoveryMs / 1000).toFixed(1)} s after the disk recovered, without a restart; ${res.acked.size} acknowledged in all, ${lost.length} lost, ` +
          `${duplicates} duplicates (${up.received.length - base} deliveries), other refusals ${JSON.stringify(Object.fromEntries([...res.codes].filter(([k]) => k !== '452 4.3.1')))}.`,
      );
      expect(refusedDuring, `no 452 4.3.1 while the spool was unwritable: ${JSON.stringify([...res.codes])} ${res.lastError}`).toBeGreaterThan(0);
      expect(lost, `acknowledged but never delivered\n${child.diagnostics()}`).toEqual([]);
      expect(stop).toEqual({ code: 0, signal: null });
    });
  }
});
