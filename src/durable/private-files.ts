import { promises as fsp, constants } from 'node:fs';

/** Files that hold mail data: owner only, whatever the umask (the mode given to open() is masked by it). */
export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;

/** Creates the directory (and parents) if needed and makes it owner-only. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await fsp.mkdir(dir, { recursive: true, mode: DIR_MODE });
  await fsp.chmod(dir, DIR_MODE);
}

/** Opens (creating if needed) a file and makes it owner-only, also when an older version made it wider. */
export async function openPrivate(file: string, flags: number | string): Promise<fsp.FileHandle> {
  const h = await fsp.open(file, flags, FILE_MODE);
  try {
    await h.chmod(FILE_MODE);
  } catch (err) {
    await h.close();
    throw err;
  }
  return h;
}

/** Read-write, created when missing, never O_APPEND (the group writer writes at its own offsets). */
export const READ_WRITE_CREATE = constants.O_RDWR | constants.O_CREAT;
