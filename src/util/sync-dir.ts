import { closeSync, fsyncSync, openSync } from 'node:fs';

/** Makes a directory's entries (files created, renamed or deleted in it) durable. */
export function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
