import { promises as fsp } from 'node:fs';
import path from 'node:path';

const DAY_MS = 86_400_000;

/**
 * Every report that reaches the return path is kept raw, beside what was parsed from it, one
 * folder per day so retention is deleting old folders.
 */
export class ReportArchive {
  constructor(private readonly dir: string, private readonly retentionDays: number) {}

  private dayDir(time: number): string {
    return path.join(this.dir, new Date(time).toISOString().slice(0, 10));
  }

  async save(id: string, time: number, raw: Buffer, parsed: unknown): Promise<string> {
    const dir = this.dayDir(time);
    await fsp.mkdir(dir, { recursive: true });
    const file = path.join(dir, `${id}.eml`);
    await fsp.writeFile(file, raw);
    await fsp.writeFile(path.join(dir, `${id}.json`), JSON.stringify(parsed, null, 1));
    return file;
  }

  async load(id: string, time: number): Promise<Buffer | null> {
    return fsp.readFile(path.join(this.dayDir(time), `${id}.eml`)).catch(() => null);
  }

  async prune(now: number): Promise<number> {
    const cutoff = new Date(now - this.retentionDays * DAY_MS).toISOString().slice(0, 10);
    let removed = 0;
    for (const d of await fsp.readdir(this.dir).catch(() => [] as string[])) {
      if (/^\d{4}-\d{2}-\d{2}$/.test(d) && d < cutoff) {
        await fsp.rm(path.join(this.dir, d), { recursive: true, force: true });
        removed++;
      }
    }
    return removed;
  }
}
