import { promises as fsp } from 'node:fs';
import { DataDirLock } from './lock.js';

export { DataDirInUseError, DataDirLock, lockPath, type LockHolder } from './lock.js';

/**
 * Opens the data directory for a server: created (or made) private, 0700 whatever the umask,
 * and held by this process alone until release().
 */
export async function holdDataDir(dir: string): Promise<DataDirLock> {
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  await fsp.chmod(dir, 0o700);
  return DataDirLock.acquire(dir);
}
