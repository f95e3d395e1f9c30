export type { Store, SubscribeOptions, WriteHealth, AsyncStore, MessageQuery, RecipientQuery, PageRequest, Page, RecipientChange } from './types.js';
export { BadCursorError } from './bad-cursor.js';
export { LowdbStore, StoreCorruptError } from './lowdb/index.js';
export type { LowdbStoreOptions } from './lowdb/index.js';
