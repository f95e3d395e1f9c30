import { BadCursorError } from '../bad-cursor.js';

/**
 * A page cursor: the sort key of the last item handed out (a time and a unique key), so the next
 * page starts strictly after it whatever was added in between. Opaque to callers.
 */
export interface CursorKey {
  t: number;
  k: string;
}

export function encodeCursor(c: CursorKey): string {
  return Buffer.from(JSON.stringify([c.t, c.k])).toString('base64url');
}

export function decodeCursor(cursor: string | null | undefined): CursorKey | null {
  if (!cursor) return null;
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'number' && Number.isFinite(v[0]) && typeof v[1] === 'string') return { t: v[0], k: v[1] };
  } catch {
    // falls through to the error below
  }
  throw new BadCursorError(cursor);
}

/** The page size a backend serves: 1 to 1000 (AsyncStore's PageRequest). */
export function pageLimit(limit: number): number {
  return Math.min(1000, Math.max(1, Math.floor(limit) || 1));
}
