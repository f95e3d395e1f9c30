import type { Page, PageRequest } from './types.js';

/** Every item of a paged list, page by page (what each backend's scan* methods are). */
export async function* scanPages<T>(page: (req: PageRequest) => Promise<Page<T>> | Page<T>, pageSize: number): AsyncGenerator<T, void, undefined> {
  let cursor: string | null = null;
  do {
    const p: Page<T> = await page({ limit: pageSize, cursor });
    yield* p.items;
    cursor = p.next;
  } while (cursor);
}
