// A started Rebound with the HTTP API built around it, as main.ts will wire it.
import type { FastifyInstance } from 'fastify';
import type { MxResolver } from '../../src/delivery/route.js';
import { buildHttpApp, startHttp, type HttpServer } from '../../src/http/server.js';
import type { HttpDeps } from '../../src/http/types.js';
import type { Rebound } from '../../src/main.js';
import { hashPassword } from '../../src/util/password.js';
import { silentLogger } from '../../src/util/logger.js';

export const TOKEN = 'test-token-0123456789';
let tokenHash: Promise<string> | null = null;
/** scrypt is slow on purpose: hash the test token once per file. */
export const testTokenHash = () => (tokenHash ??= hashPassword(TOKEN));

export async function httpDeps(app: Rebound, over: Partial<HttpDeps> = {}): Promise<HttpDeps> {
  return {
    config: { host: '127.0.0.1', port: 0, tokens: [await testTokenHash()] },
    store: app.store, actions: app.actions, delivery: app.delivery, resender: app, logger: silentLogger(), clock: { now: () => Date.now() },
    ...over,
  };
}

export async function apiFor(app: Rebound, over: Partial<HttpDeps> = {}): Promise<FastifyInstance> {
  return buildHttpApp(await httpDeps(app, over));
}

export async function listenFor(app: Rebound, over: Partial<HttpDeps> = {}): Promise<HttpServer> {
  return startHttp(await httpDeps(app, over));
}

export const auth = { authorization: `Bearer ${TOKEN}` };

/** A resolver answering from a table, for tests that need no UDP. */
export function tableResolver(table: Record<string, Array<{ exchange: string; priority: number }> | string>): MxResolver {
  return {
    resolveMx: async (d) => {
      const v = table[d];
      if (v === undefined) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
      if (typeof v === 'string') throw Object.assign(new Error(v), { code: v });
      return v;
    },
  };
}
