// List routes page by the store's cursor (`cursor` in, `next` out). `offset` still works for
// clients that count pages (the dashboard's pager): the store is read past the skipped items.
import type { Page, PageRequest } from '../store/index.js';

export const pagingProperties = {
  cursor: { type: 'string', maxLength: 200, description: 'the `next` of the previous page; takes the place of offset' },
  offset: { type: 'integer', minimum: 0, default: 0, description: 'items to skip (ignored with cursor; reading far pages this way costs their length)' },
  total: { type: 'boolean', default: true, description: 'count every match (false: skip the count, faster on a large store)' },
} as const;

export interface PagingQuery {
  limit: number;
  offset: number;
  cursor?: string;
  total: boolean;
}

/** One page as asked: from the cursor, or after `offset` items; the total when asked. */
export async function readPage<T>(read: (page: PageRequest) => Promise<Page<T>>, q: PagingQuery): Promise<Page<T>> {
  let cursor: string | null = q.cursor ?? null;
  if (!cursor && q.offset > 0) {
    for (let skip = q.offset; skip > 0;) {
      const p = await read({ limit: Math.min(1000, skip), cursor });
      skip -= p.items.length;
      cursor = p.next;
      if (!cursor) return { items: [], next: null, ...(q.total ? { total: (await read({ limit: 1, withTotal: true })).total ?? 0 } : {}) };
    }
  }
  return read({ limit: q.limit, cursor, withTotal: q.total });
}

/** The first `n` items of a scan (a CSV export's cap). */
export async function firstOf<T>(scan: AsyncIterable<T>, n: number): Promise<T[]> {
  const out: T[] = [];
  if (n <= 0) return out;
  for await (const x of scan) if (out.push(x) >= n) break;
  return out;
}
