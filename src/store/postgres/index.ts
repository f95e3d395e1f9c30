export { PostgresStore } from './postgres-store.js';
export type { PostgresStoreOptions } from './postgres-store.js';
export { migrate, checkSchema } from './migrate.js';
export { MIGRATIONS } from './migrations/index.js';
