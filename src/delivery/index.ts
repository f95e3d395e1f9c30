export { DeliveryEngine } from './engine.js';
export type { DeliveryDeps } from './engine.js';
export { makeReturnPath, parseReturnPath, verifyReturnPath } from './verp.js';
export type { VerpToken } from './verp.js';
export type { MxResolver, MxRecord } from './route.js';
