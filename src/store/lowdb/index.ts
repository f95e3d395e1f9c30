export { LowdbStore } from './store.js';
export type { LowdbStoreOptions } from './store.js';
export { StoreCorruptError } from './durable-json-file.js';
