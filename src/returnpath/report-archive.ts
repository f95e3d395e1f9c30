import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { ensurePrivateDir, openPrivate } from '../durable/private-files.js';
import { syncDirAsync } from '../util/sync-dir.js';

const DAY_MS = 86_400_000;
const DAY_DIR = /^\d{4}-\d{2}-\d{2}$/;

/** The archive holds `maxBytes` already: the report is refused with a temporary error. */
export class ArchiveFullError extends Error {
  readonly code = 'EARCHIVEFULL';
}

/** Writes a new file (0600 whatever the umask) and syncs it before resolving. */
async function writeSynced(file: string, data: Buffer | string): Promise<void> {
  const h = await openPrivate(file, 'wx');
  try {
    await h.writeFile(data);
    await h.sync();
  } finally {
    await h.close();
  }
}

/**
 * Every report that reaches the return path is kept raw, beside what was parsed from it, one
 * folder per day so retention is deleting old folders. `save` resolves only once both files and
 * their directory entries are on disk (the return path answers 250 after it). Files are 0600 and
 * folders 0700: reports quote other people's mail. The total size is kept under `maxBytes`.
 */
export class ReportArchive {
  private bytes = 0;
  /** Bytes promised to saves in flight, so concurrent reports cannot overshoot the budget together. */
  private reserved = 0;

  constructor(private readonly dir: string, private readonly retentionDays: number, private readonly maxBytes = Infinity) {}

  /** Measures what is already kept (call once before the first save). */
  async open(): Promise<void> {
    await ensurePrivateDir(this.dir);
    this.bytes = 0;
    for (const d of await fsp.readdir(this.dir)) {
      if (!DAY_DIR.test(d)) continue;
      for (const f of await fsp.readdir(path.join(this.dir, d)).catch(() => [] as string[])) {
        this.bytes += (await fsp.stat(path.join(this.dir, d, f)).catch(() => ({ size: 0 }))).size;
      }
    }
  }

  /** Bytes the archive holds now. */
  get size(): number {
    return this.bytes;
  }

  /** Whether a report of this size fits the budget now. */
  fits(bytes: number): boolean {
    return this.bytes + this.reserved + bytes <= this.maxBytes;
  }

  private dayDir(time: number): string {
    return path.join(this.dir, new Date(time).toISOString().slice(0, 10));
  }

  async save(id: string, time: number, raw: Buffer, parsed: unknown): Promise<string> {
    const json = JSON.stringify(parsed, null, 1);
    const size = raw.length + Buffer.byteLength(json);
    if (!this.fits(size)) throw new ArchiveFullError(`report archive holds ${this.bytes} bytes, its budget is ${this.maxBytes}`);
    this.reserved += size;
    try {
      const dir = this.dayDir(time);
      const created = await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
      if (created) {
        await ensurePrivateDir(dir);
        await syncDirAsync(this.dir);
      }
      const file = path.join(dir, `${id}.eml`);
      await writeSynced(file, raw);
      await writeSynced(path.join(dir, `${id}.json`), json);
      await syncDirAsync(dir);
      this.bytes += size;
      return file;
    } finally {
      this.reserved -= size;
    }
  }

  async load(id: string, time: number): Promise<Buffer | null> {
    return fsp.readFile(path.join(this.dayDir(time), `${id}.eml`)).catch(() => null);
  }

  async prune(now: number): Promise<number> {
    const cutoff = new Date(now - this.retentionDays * DAY_MS).toISOString().slice(0, 10);
    let removed = 0;
    for (const d of await fsp.readdir(this.dir).catch(() => [] as string[])) {
      if (DAY_DIR.test(d) && d < cutoff) {
        await fsp.rm(path.join(this.dir, d), { recursive: true, force: true });
        removed++;
      }
    }
    if (removed) await this.open();
    return removed;
  }
}
