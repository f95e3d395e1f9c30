/** A `cursor` that no page of this store handed out (garbled, or from another list): the API answers 400. */
export class BadCursorError extends Error {
  readonly code = 'bad_cursor';
  constructor(cursor: string) {
    super(`cursor ${JSON.stringify(cursor.slice(0, 80))} is not one this list handed out: start again without it`);
  }
}
