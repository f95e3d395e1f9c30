import { closeSync, fsyncSync, openSync, promises as fsp } from 'node:fs';

/** Makes a directory's entries (files created, renamed or deleted in it) durable. */
export function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The same without blocking the event loop: for paths the listeners share (every report, every snapshot). */
export async function syncDirAsync(dir: string): Promise<void> {
  const h = await fsp.open(dir, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}
