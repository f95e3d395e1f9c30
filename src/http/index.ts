// Public face of http/: the API, dashboard files and /metrics, served by fastify.
export { buildHttpApp, startHttp, DEFAULT_PUBLIC_DIR } from './server.js';
export type { HttpServer } from './server.js';
export type { HttpDeps, HttpConfig, Resender, QueueView, ReconcileRunner, Diagnoser, Readiness } from './types.js';
export { diagnoser, reconcileRunner, storeReadiness } from './wiring.js';
export { checkAddress, checkSyntax, suggestDomain, lookupMx, editDistance, COMMON_DOMAINS } from './address-check.js';
export type { AddressCheck, SyntaxVerdict, MxVerdict, MxStatus } from './address-check.js';
export { TokenVerifier, FailureLimiter, bearerToken, tokenHash } from './auth.js';
export { signInToken, isLoopbackHost } from './first-run.js';
