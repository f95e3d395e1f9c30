import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Adapter } from 'lowdb';
import { openPrivate } from '../../durable/private-files.js';
import { syncDirAsync } from '../../util/sync-dir.js';

/** How to get a damaged snapshot file back, naming only files that exist. */
function snapshotAdvice(file: string): string {
  return existsSync(`${file}.bak`)
    ? `To recover: move it aside and copy the previous good version ${file}.bak in its place (or remove the file to start that shard empty, losing its records).`
    : `There is no previous version (${file}.bak does not exist). To recover: move it aside to start that shard empty, losing its records.`;
}

/** A store file that cannot be read back; start-up stops rather than silently starting empty. */
export class StoreCorruptError extends Error {
  readonly code = 'ESTORECORRUPT';
  constructor(readonly file: string, detail: string, advice = snapshotAdvice(file)) {
    super(`store file ${file} is damaged (${detail}). Rebound will not start with it, so nothing is silently lost. ${advice}`);
  }
}


/**
 * lowdb adapter that writes like a database would: temp file, fsync, keep the previous
 * version as .bak, atomic rename, fsync the directory. (lowdb's own JSONFile never fsyncs.)
 */
export class DurableJSONFile<T> implements Adapter<T> {
  /** False after read() when neither the file nor its .bak existed. */
  existed = true;

  constructor(readonly file: string) {}

  async read(): Promise<T | null> {
    let text: string;
    try {
      text = await fsp.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      // A crash between the two renames leaves only the .bak: that is the last good copy.
      try {
        text = await fsp.readFile(`${this.file}.bak`, 'utf8');
      } catch {
        this.existed = false;
        return null;
      }
    }
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new StoreCorruptError(this.file, `not valid JSON: ${(err as Error).message}`);
    }
  }

  async write(data: T): Promise<void> {
    const tmp = `${this.file}.tmp`;
    const h = await openPrivate(tmp, 'w');
    try {
      await h.writeFile(JSON.stringify(data));
      await h.sync();
    } finally {
      await h.close();
    }
    await fsp.rename(this.file, `${this.file}.bak`).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    await fsp.rename(tmp, this.file);
    await syncDirAsync(path.dirname(this.file));
  }
}
