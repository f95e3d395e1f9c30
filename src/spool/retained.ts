import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { FILE_MODE, ensurePrivateDir } from '../durable/private-files.js';

const DAY_MS = 86_400_000;

/**
 * Copies of finished messages that did not reach every recipient, kept so an operator can resend
 * them after fixing the cause. Delivered mail is not kept (the spool frees it), so this stays small.
 */
export class RetainedMessages {
  constructor(private readonly dir: string, private readonly retentionDays: number) {}

  private file(queueId: string): string {
    return path.join(this.dir, `${queueId}.eml`);
  }

  async keep(queueId: string, raw: Buffer): Promise<void> {
    await ensurePrivateDir(this.dir);
    await fsp.writeFile(this.file(queueId), raw, { mode: FILE_MODE });
  }

  async get(queueId: string): Promise<Buffer | null> {
    return fsp.readFile(this.file(queueId)).catch(() => null);
  }

  /** Queue ids of the copies kept now. */
  async ids(): Promise<string[]> {
    const names = await fsp.readdir(this.dir).catch(() => [] as string[]);
    return names.filter((n) => n.endsWith('.eml')).map((n) => n.slice(0, -'.eml'.length));
  }

  async prune(now: number): Promise<number> {
    let n = 0;
    for (const f of await fsp.readdir(this.dir).catch(() => [] as string[])) {
      const st = await fsp.stat(path.join(this.dir, f)).catch(() => null);
      if (st && now - st.mtimeMs > this.retentionDays * DAY_MS) {
        await fsp.rm(path.join(this.dir, f), { force: true });
        n++;
      }
    }
    return n;
  }
}
