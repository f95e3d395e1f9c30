// Joining state keyed by queue id. A Map keeps insertion order, so when ids are never closed
// (no "removed"/"Completed" line, e.g. the log starts or ends mid-message) the oldest go first.

export class BoundedMap<V> {
  private readonly map = new Map<string, V>();
  peak = 0;

  constructor(private readonly cap: number) {}

  get size(): number {
    return this.map.size;
  }

  get(key: string): V | undefined {
    return this.map.get(key);
  }

  /** Insert or replace; a replaced key moves to the young end. */
  set(key: string, value: V): void {
    if (this.map.has(key)) this.map.delete(key);
    else if (this.map.size >= this.cap) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
    this.map.set(key, value);
    if (this.map.size > this.peak) this.peak = this.map.size;
  }

  delete(key: string): void {
    this.map.delete(key);
  }
}

export const DEFAULT_MAX_OPEN_MESSAGES = 100_000;
