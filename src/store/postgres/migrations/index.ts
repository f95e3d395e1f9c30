// Every schema migration, in order. A migration is never edited once released: add the next one.
import * as m001 from './001-initial.js';
import * as m002 from './002-destination-slots.js';
import * as m003 from './003-message-filters.js';
import * as m004 from './004-store-probes.js';
import * as m005 from './005-event-ids.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [{ version: 1, ...m001 }, { version: 2, ...m002 }, { version: 3, ...m003 }, { version: 4, ...m004 }, { version: 5, ...m005 }];
