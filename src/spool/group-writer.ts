import { promises as fsp } from 'node:fs';

interface Pending {
  buf: Buffer;
  resolve: (offset: number) => void;
  reject: (err: Error) => void;
}

/**
 * Appends records to one open file with group commit: every record that arrives while a
 * write+fdatasync is in flight joins the next batch, so N concurrent writers share one sync.
 * Offsets are assigned at flush time; a failed batch is truncated away so the file never
 * holds a half-written batch that later records would sit behind.
 */
export class GroupWriter {
  private pending: Pending[] = [];
  private flushing: Promise<void> | null = null;
  private size: number;
  private closed = false;

  constructor(
    private readonly handle: fsp.FileHandle,
    initialSize: number,
    private readonly sync: boolean,
  ) {
    this.size = initialSize;
  }

  get bytes(): number {
    return this.size + this.pending.reduce((n, p) => n + p.buf.length, 0);
  }

  /** Resolves with the record's offset once it is on disk. */
  append(buf: Buffer): Promise<number> {
    if (this.closed) return Promise.reject(new Error('spool segment is closed'));
    return new Promise((resolve, reject) => {
      this.pending.push({ buf, resolve, reject });
      if (!this.flushing) this.flushing = this.flushLoop();
    });
  }

  private async flushLoop(): Promise<void> {
    // Let writers of the same tick join the first batch.
    await new Promise((r) => setImmediate(r));
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      const start = this.size;
      const offsets: number[] = [];
      let at = start;
      for (const p of batch) {
        offsets.push(at);
        at += p.buf.length;
      }
      try {
        const data = batch.length === 1 ? batch[0]!.buf : Buffer.concat(batch.map((p) => p.buf), at - start);
        let written = 0;
        while (written < data.length) {
          const { bytesWritten } = await this.handle.write(data, written, data.length - written, start + written);
          written += bytesWritten;
        }
        if (this.sync) await this.handle.datasync();
        this.size = at;
        batch.forEach((p, i) => p.resolve(offsets[i]!));
      } catch (err) {
        await this.handle.truncate(start).catch(() => undefined);
        batch.forEach((p) => p.reject(err as Error));
      }
    }
    this.flushing = null;
  }

  /** Waits for everything queued so far, then closes the file. */
  async close(): Promise<void> {
    while (this.flushing) await this.flushing;
    this.closed = true;
    await this.handle.close();
  }
}
