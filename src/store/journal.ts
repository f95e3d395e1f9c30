import { promises as fsp } from 'node:fs';

/**
 * An append-only file of JSON lines with group commit: lines added while a write+fdatasync is in
 * flight go out together in the next one, so making many changes durable costs one sync.
 */
export class Journal {
  private pending: string[] = [];
  private writing: Promise<void> | null = null;
  bytes = 0;

  private constructor(readonly file: string, private readonly handle: fsp.FileHandle, private readonly sync: boolean) {}

  static async open(file: string, sync = true): Promise<Journal> {
    const handle = await fsp.open(file, 'a');
    const j = new Journal(file, handle, sync);
    j.bytes = (await handle.stat()).size;
    return j;
  }

  add(line: string): void {
    this.pending.push(line);
  }

  get hasPending(): boolean {
    return this.pending.length > 0;
  }

  /** Writes and syncs everything added so far. */
  async commit(): Promise<void> {
    while (this.writing) await this.writing;
    if (!this.pending.length) return;
    const lines = this.pending;
    this.pending = [];
    this.writing = (async () => {
      const data = lines.join('\n') + '\n';
      try {
        await this.handle.appendFile(data);
        if (this.sync) await this.handle.datasync();
        this.bytes += Buffer.byteLength(data);
      } catch (err) {
        this.pending.unshift(...lines);
        throw err;
      }
    })().finally(() => {
      this.writing = null;
    });
    await this.writing;
  }

  async close(): Promise<void> {
    await this.commit().catch(() => undefined);
    await this.handle.close();
  }
}
