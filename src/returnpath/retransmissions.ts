import { createHash } from 'node:crypto';
import { findMessageId } from '../smtp/message-headers.js';

/**
 * Reports recently recorded, by their own Message-ID and envelope, so a report a sender
 * transmits again (it never saw our 250) is answered with the first one's id instead of being
 * counted twice. Only reports whose effects are durable are remembered, so a retransmission of
 * one that was lost in a crash is processed again. In memory: a retransmission across a restart
 * is processed again (at least once). Without a Message-ID the bytes themselves are the key.
 */
export class RecentReports<T> {
  private readonly byKey = new Map<string, Promise<T>>();

  constructor(private readonly max = 10_000) {}

  static key(raw: Buffer, envelope: { from: string; rcpts: string[] }): string {
    const id = findMessageId(raw) ?? `sha256:${createHash('sha256').update(raw).digest('hex')}`;
    return createHash('sha256').update(JSON.stringify([id, envelope.from, [...envelope.rcpts].sort()])).digest('hex');
  }

  /**
   * The result of the report with this key: the one in flight or recorded, else `run()`'s.
   * `duplicate` says whether it was already known.
   */
  async once(key: string, run: () => Promise<T>): Promise<{ value: T; duplicate: boolean }> {
    const known = this.byKey.get(key);
    if (known) return { value: await known, duplicate: true };
    const p = run();
    this.byKey.set(key, p);
    if (this.byKey.size > this.max) this.byKey.delete(this.byKey.keys().next().value as string);
    try {
      return { value: await p, duplicate: false };
    } catch (err) {
      // Not recorded: a retransmission must try again.
      if (this.byKey.get(key) === p) this.byKey.delete(key);
      throw err;
    }
  }
}
