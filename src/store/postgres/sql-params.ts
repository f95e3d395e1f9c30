import { BadCursorError } from '../bad-cursor.js';
/** Collects query parameters and hands out their placeholders ($1, $2, ...). */
export class Params {
  readonly values: unknown[] = [];
  add(v: unknown): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
}

/** A cursor is the keyset position of the last item of a page, opaque to callers. */
export function encodeCursor(position: [number, string]): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

export function decodeCursor(cursor: string): [number, string] {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && Number.isFinite(v[0]) && typeof v[1] === 'string') return [v[0] as number, v[1] as string];
  } catch {
    /* below */
  }
  throw new BadCursorError(cursor);
}

/** Backends cap a page at this many items. */
export const MAX_PAGE = 1000;

export function pageLimit(limit: number): number {
  return Math.max(0, Math.min(MAX_PAGE, Math.floor(Number.isFinite(limit) ? limit : MAX_PAGE)));
}

/** LIKE pattern for "starts with": % _ and \ in the prefix match themselves. */
export function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Now on the database's clock, in epoch ms: leases use it, so nodes with skewed clocks agree on who holds what. */
export const DB_NOW = `(extract(epoch from clock_timestamp()) * 1000)::bigint`;
