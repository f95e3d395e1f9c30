import path from 'node:path';
import { Low } from 'lowdb';
import { DurableJSONFile, StoreCorruptError } from './durable-json-file.js';

/** One lowdb document of a collection: a slice of the records, written out whole by a snapshot. */
export interface Shard<T> {
  db: Low<{ items: Record<string, T> }>;
  dirty: boolean;
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function shardOf<T>(shards: Shard<T>[], key: string): Shard<T> {
  return shards[fnv1a(key) % shards.length]!;
}

/** Reads the `count` snapshot files `<prefix>-NN.json` of a collection; a missing one starts empty (written on the first snapshot). */
export async function loadShards<T>(dir: string, prefix: string, count: number): Promise<Shard<T>[]> {
  const width = String(count - 1).length;
  const shards: Shard<T>[] = [];
  for (let i = 0; i < count; i++) {
    const file = path.join(dir, `${prefix}-${String(i).padStart(width, '0')}.json`);
    const adapter = new DurableJSONFile<{ items: Record<string, T> }>(file);
    const db = new Low(adapter, { items: {} as Record<string, T> });
    // Read through the adapter ourselves: Low.read() would keep the empty default for a file holding `null`.
    const data = await adapter.read();
    if (adapter.existed) {
      const items = (data as { items?: unknown } | null)?.items;
      if (!items || typeof items !== 'object' || Array.isArray(items)) {
        throw new StoreCorruptError(file, 'valid JSON, but not a store document ({"items": {...}})');
      }
      db.data = data!;
    }
    shards.push({ db, dirty: !adapter.existed });
  }
  return shards;
}
