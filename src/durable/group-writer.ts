import type { promises as fsp } from 'node:fs';

interface Pending {
  buf: Buffer;
  resolve: (offset: number) => void;
  reject: (err: Error) => void;
}

/**
 * Appends records to one open file with group commit: every record that arrives while a
 * write+fdatasync is in flight joins the next batch, so N concurrent writers share one sync.
 * Offsets are assigned at flush time and every batch is written at its own offset (pwrite), so
 * open the file without O_APPEND. The one failure policy for every durable append (spool
 * segments, store journal, event logs): a failed batch is rejected and truncated away, so the file
 * never holds a half-written batch that later records would sit behind; the caller decides whether
 * to try the same bytes again.
 */
export class GroupWriter {
  private pending: Pending[] = [];
  private flushing: Promise<void> | null = null;
  private size: number;
  /** A failed batch's bytes could not be cut off yet; done before the next write. */
  private tailDirty = false;
  private closed = false;

  constructor(
    private readonly handle: fsp.FileHandle,
    initialSize: number,
    private readonly sync: boolean,
  ) {
    this.size = initialSize;
  }

  /** Bytes on disk plus bytes waiting to be written. */
  get bytes(): number {
    return this.size + this.pending.reduce((n, p) => n + p.buf.length, 0);
  }

  /** Resolves with the record's offset once it is on disk. */
  append(buf: Buffer): Promise<number> {
    if (this.closed) return Promise.reject(new Error('file is closed'));
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
        if (this.tailDirty) {
          await this.handle.truncate(start);
          this.tailDirty = false;
        }
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
        await this.handle.truncate(start).then(() => (this.tailDirty = false), () => (this.tailDirty = true));
        batch.forEach((p) => p.reject(err as Error));
      }
    }
    this.flushing = null;
  }

  /** Syncs what was written (for files appended without a sync per batch). */
  async datasync(): Promise<void> {
    await this.handle.datasync();
  }

  /** Waits for everything queued so far, then closes the file. */
  async close(): Promise<void> {
    while (this.flushing) await this.flushing;
    this.closed = true;
    await this.handle.close();
  }
}
