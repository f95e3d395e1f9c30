// Every schema migration, in order. A migration is never edited once released: add the next one.
import * as m001 from './001-initial.js';
import * as m002 from './002-destination-slots.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [{ version: 1, ...m001 }, { version: 2, ...m002 }];
