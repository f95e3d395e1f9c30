// Watches the syncs of every FileHandle in this process (the prototype is shared), so a test can
// tell how much of each file was on disk when a promise resolved, and can hold a sync back to
// widen a race window. Only for tests; restore() puts the real methods back.
import { fstatSync, promises as fsp, readlinkSync } from 'node:fs';

type Handle = fsp.FileHandle & { fd: number };

export interface SyncProbe {
  /** Bytes of `file` covered by a completed sync (size when the sync started). */
  syncedBytes(file: string): number;
  /** How many syncs of files matching `match` completed. */
  syncCount(match: (file: string) => boolean): number;
  /** The next sync of a file matching `match` waits `ms` first; resolves when that sync starts. */
  holdNextSync(match: (file: string) => boolean, ms: number): Promise<void>;
  restore(): void;
}

export async function probeSyncs(): Promise<SyncProbe> {
  const h = await fsp.open('/dev/null', 'r');
  const proto = Object.getPrototypeOf(h) as { datasync: () => Promise<void>; sync: () => Promise<void> };
  await h.close();
  const real = { datasync: proto.datasync, sync: proto.sync };
  const synced = new Map<string, number>();
  const counts = new Map<string, number>();
  let hold: { match: (f: string) => boolean; ms: number; started: () => void } | null = null;
  const wrap = (orig: () => Promise<void>) =>
    async function (this: Handle): Promise<void> {
      const file = readlinkSync(`/proc/self/fd/${this.fd}`);
      const size = fstatSync(this.fd).size;
      if (hold && hold.match(file)) {
        const h2 = hold;
        hold = null;
        h2.started();
        await new Promise((r) => setTimeout(r, h2.ms));
      }
      await orig.call(this);
      synced.set(file, Math.max(synced.get(file) ?? 0, size));
      counts.set(file, (counts.get(file) ?? 0) + 1);
    };
  proto.datasync = wrap(real.datasync);
  proto.sync = wrap(real.sync);
  return {
    syncedBytes: (file) => synced.get(file) ?? 0,
    syncCount: (match) => [...counts].filter(([f]) => match(f)).reduce((n, [, c]) => n + c, 0),
    holdNextSync: (match, ms) => new Promise((started) => (hold = { match, ms, started })),
    restore() {
      proto.datasync = real.datasync;
      proto.sync = real.sync;
    },
  };
}
