import path from 'node:path';
import { ensurePrivateDir } from '../durable/private-files.js';
import { syncDir } from '../util/sync-dir.js';
import { DataDirLock } from './lock.js';

export { DataDirInUseError, DataDirLock, lockPath, type LockHolder } from './lock.js';

/**
 * Opens the data directory for a server: created (or made) private, 0700 whatever the umask,
 * its entry synced (on a first start it is new), and held by this process alone until release().
 */
export async function holdDataDir(dir: string): Promise<DataDirLock> {
  await ensurePrivateDir(dir);
  try {
    syncDir(path.dirname(path.resolve(dir)));
  } catch {
    // a parent we may not open: its entry is as durable as the file system makes it
  }
  return DataDirLock.acquire(dir);
}
