import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { syncDir } from '../util/sync-dir.js';
import { DataDirLock } from './lock.js';

export { DataDirInUseError, DataDirLock, lockPath, type LockHolder } from './lock.js';

/**
 * Opens the data directory for a server: created (or made) private, 0700 whatever the umask,
 * its entry synced (on a first start it is new), and held by this process alone until release().
 */
export async function holdDataDir(dir: string): Promise<DataDirLock> {
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  await fsp.chmod(dir, 0o700);
  try {
    syncDir(path.dirname(path.resolve(dir)));
  } catch {
    // a parent we may not open: its entry is as durable as the file system makes it
  }
  return DataDirLock.acquire(dir);
}
