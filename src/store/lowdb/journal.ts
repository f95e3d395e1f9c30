import { GroupWriter } from '../../durable/group-writer.js';
import { READ_WRITE_CREATE, openPrivate } from '../../durable/private-files.js';

/**
 * An append-only file of JSON lines. Lines are collected by add() and written by commit() through
 * the shared group writer, so a failed write (disk full) is cut off the file and its lines wait
 * for the next commit instead of landing behind a partial line.
 */
export class Journal {
  private pending: string[] = [];
  /** One commit at a time: a failed batch must go back in front before newer lines are written. */
  private inflight: Promise<void> | null = null;

  private constructor(readonly file: string, private readonly writer: GroupWriter) {}

  static async open(file: string, sync = true): Promise<Journal> {
    const handle = await openPrivate(file, READ_WRITE_CREATE);
    const { size } = await handle.stat();
    return new Journal(file, new GroupWriter(handle, size, sync));
  }

  /** Bytes written to the file so far (plus any batch in flight). */
  get bytes(): number {
    return this.writer.bytes;
  }

  add(line: string): void {
    this.pending.push(line);
  }

  get hasPending(): boolean {
    return this.pending.length > 0;
  }

  /** Takes the lines not yet committed (to carry them into the next journal). */
  takePending(): string[] {
    const lines = this.pending;
    this.pending = [];
    return lines;
  }

  /** Puts lines in front of this journal's own, as older than them. */
  prepend(lines: string[]): void {
    if (lines.length) this.pending.unshift(...lines);
  }

  /**
   * Writes and syncs every line added before the call. On failure the lines stay pending (in
   * order, in front of newer ones) and the error is thrown.
   */
  async commit(): Promise<void> {
    while (this.inflight) await this.inflight.catch(() => undefined);
    if (!this.pending.length) return;
    const lines = this.pending;
    this.pending = [];
    this.inflight = this.writer.append(Buffer.from(lines.join('\n') + '\n')).then(
      () => undefined,
      (err: Error) => {
        this.pending.unshift(...lines);
        throw err;
      },
    ).finally(() => {
      this.inflight = null;
    });
    await this.inflight;
  }

  /** Closes the file; lines still pending are left for the caller (see takePending). */
  async close(): Promise<void> {
    while (this.inflight) await this.inflight.catch(() => undefined);
    await this.writer.close();
  }
}
