export type { Store, MessageFilter, WriteHealth, AsyncStore, MessageQuery, RecipientQuery, PageRequest, Page, RecipientChange } from './types.js';
export { LowdbStore } from './lowdb-store.js';
export type { LowdbStoreOptions } from './lowdb-store.js';
export { StoreCorruptError } from './lowdb/durable-json-file.js';
