// A small tmpfs is a disk that really fills up. Needs root and mount(8) (CI and the dev machines
// here run tests as root); tests skip with a visible reason otherwise.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync, statfsSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from './rebound.js';

export interface Tmpfs {
  dir: string;
  /** Fills the disk so that only about `leaveBytes` stay free (0: completely full). */
  fill(leaveBytes?: number): void;
  /** Gives the space back. */
  free(): void;
  unmount(): void;
}

export function mountTmpfs(size: string): Tmpfs | null {
  const base = tempDir('rebound-tmpfs-');
  const dir = path.join(base, 'disk');
  mkdirSync(dir);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    rmSync(base, { recursive: true, force: true });
    return null;
  }
  const filler = path.join(dir, 'filler');
  return {
    dir,
    fill(leaveBytes = 0) {
      const { bavail, bsize } = statfsSync(dir);
      try {
        writeFileSync(filler, Buffer.alloc(bavail * bsize + 1024 * 1024));
      } catch {
        /* ENOSPC: full now, which is the point */
      }
      if (leaveBytes > 0) truncateSync(filler, Math.max(0, statSync(filler).size - leaveBytes));
    },
    free() {
      rmSync(filler, { force: true });
    },
    unmount() {
      execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
      rmSync(base, { recursive: true, force: true });
    },
  };
}
