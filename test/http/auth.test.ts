// Token checks under a flood, the dashboard's security headers, an empty reconcile upload, and the
// first-run sign-in token.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { FailureLimiter, TokenVerifier, tokenHash } from '../../src/http/auth.js';
import { isLoopbackHost, signInToken } from '../../src/http/first-run.js';
import { reconcileRunner } from '../../src/http/wiring.js';
import type { Rebound } from '../../src/main.js';
import { cleanup, startRebound, tempDir, testConfig } from '../helpers/rebound.js';
import { Upstream } from '../helpers/upstream.js';
import { apiFor, auth, testTokenHash } from './harness.js';

describe('TokenVerifier', () => {
  it('runs scrypt checks one at a time, however many unknown tokens arrive at once', async () => {
    let running = 0;
    let most = 0;
    let calls = 0;
    const verifySlow = async () => {
      calls++;
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      return false;
    };
    const v = new TokenVerifier(['scrypt$16384$8$1$c2FsdA==$aGFzaA=='], { verifySlow });
    const tokens = Array.from({ length: 16 }, (_, i) => `guess-${i}`);
    expect(await Promise.all(tokens.map((t) => v.verify(t)))).toEqual(tokens.map(() => false));
    expect(calls).toBe(16);
    expect(most).toBe(1);
    // The same wrong tokens again cost nothing.
    await Promise.all(tokens.map((t) => v.verify(t)));
    expect(calls).toBe(16);
  });

  it('refuses slow checks beyond its queue instead of queueing without bound', async () => {
    let calls = 0;
    const v = new TokenVerifier(['scrypt$16384$8$1$c2FsdA==$aGFzaA=='], {
      maxQueued: 4, verifySlow: async () => { calls++; await new Promise((r) => setTimeout(r, 2)); return false; },
    });
    await Promise.all(Array.from({ length: 40 }, (_, i) => v.verify(`t${i}`)));
    expect(calls).toBeLessThanOrEqual(5);
  });

  it('checks sha256 tokens (rebound new-token) without any slow hash, and keeps scrypt hashes working', async () => {
    const slow: string[] = [];
    const fast = new TokenVerifier([tokenHash('random-token-a')], { verifySlow: async (t) => { slow.push(t); return false; } });
    expect(await fast.verify('random-token-a')).toBe(true);
    expect(await fast.verify('random-token-b')).toBe(false);
    expect(slow).toEqual([]);
    expect(tokenHash('x')).toMatch(/^sha256\$[0-9a-f]{64}$/);

    const legacy = new TokenVerifier([await testTokenHash()]);
    expect(await legacy.verify('test-token-0123456789')).toBe(true);
    expect(legacy.knownGood('test-token-0123456789')).toBe(true);
    expect(await legacy.verify('test-token-0123456780')).toBe(false);
  });

  it('accepts an extra in-memory token (the sign-in link) next to none configured', async () => {
    const v = new TokenVerifier([]);
    expect(v.empty).toBe(true);
    v.allow('one-time');
    expect(v.empty).toBe(false);
    expect(await v.verify('one-time')).toBe(true);
  });
});

describe('FailureLimiter', () => {
  it('blocks a client after its failures in the window, and forgets them after it', () => {
    let now = 1_000;
    const l = new FailureLimiter(3, 10_000, () => now);
    for (let i = 0; i < 3; i++) {
      expect(l.blockedFor('a')).toBe(0);
      l.fail('a');
    }
    expect(l.blockedFor('a')).toBe(10_000);
    expect(l.blockedFor('b')).toBe(0);
    now += 10_000;
    expect(l.blockedFor('a')).toBe(0);
  });
});

describe('first run', () => {
  it('makes a sign-in token only with no tokens configured and a loopback listener', () => {
    expect(isLoopbackHost('127.0.0.1')).toBe(true);
    expect(isLoopbackHost('::1')).toBe(true);
    expect(isLoopbackHost('localhost')).toBe(true);
    expect(isLoopbackHost('0.0.0.0')).toBe(false);
    expect(isLoopbackHost('10.1.2.3')).toBe(false);
    expect(signInToken({ host: '127.0.0.1', tokens: [] })).toMatch(/^[\w-]{43}$/);
    expect(signInToken({ host: '0.0.0.0', tokens: [] })).toBeNull();
    expect(signInToken({ host: '::', tokens: [] })).toBeNull();
    expect(signInToken({ host: '127.0.0.1', tokens: [tokenHash('t')] })).toBeNull();
  });

  it('accepts new-token hashes in http.tokens', () => {
    const dir = tempDir();
    try {
      const file = path.join(dir, 'c.json');
      writeFileSync(file, JSON.stringify({ http: { tokens: [tokenHash('abc')] } }));
      expect(loadConfig(file).http.tokens).toEqual([tokenHash('abc')]);
      writeFileSync(file, JSON.stringify({ http: { tokens: ['sha256$nothex'] } }));
      expect(() => loadConfig(file)).toThrow(/http\.tokens/);
    } finally {
      cleanup(dir);
    }
  });
});

describe('HTTP API hardening over a running Rebound', () => {
  let dir: string;
  let up: Upstream;
  let app: Rebound;
  let api: FastifyInstance;

  beforeAll(async () => {
    dir = tempDir();
    up = await new Upstream().start();
    app = await startRebound(testConfig(dir, up.port));
    api = await apiFor(app, { reconcile: reconcileRunner(app.store) });
  });
  afterAll(async () => {
    await api.close();
    await app.stop(2_000);
    await up.stop();
    cleanup(dir);
  });

  it('answers 429 to a client that keeps sending wrong tokens; other clients and good tokens still pass', async () => {
    const asClient = (ip: string, authorization: string) => api.inject({ url: '/api/categories', remoteAddress: ip, headers: { authorization } });
    expect((await asClient('10.0.0.1', auth.authorization)).statusCode).toBe(200);
    for (let i = 0; i < 10; i++) expect((await asClient('10.0.0.1', `Bearer wrong-${i}`)).statusCode).toBe(401);
    const blocked = await asClient('10.0.0.1', 'Bearer wrong-10');
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(blocked.json().error.code).toBe('too_many_failures');
    expect((await asClient('10.0.0.1', auth.authorization)).statusCode).toBe(200);
    expect((await asClient('10.0.0.2', 'Bearer wrong-0')).statusCode).toBe(401);
  });

  it('sends CSP with frame-ancestors and X-Frame-Options as headers on the dashboard and the API', async () => {
    for (const url of ['/', '/app.js', '/api/categories']) {
      const res = await api.inject({ url, headers: auth });
      expect(res.headers['content-security-policy'], url).toMatch(/frame-ancestors 'none'/);
      expect(res.headers['content-security-policy'], url).toMatch(/script-src 'self'/);
      expect(res.headers['x-frame-options'], url).toBe('DENY');
      expect(res.headers['x-content-type-options'], url).toBe('nosniff');
    }
  });

  it('answers POST /api/reconcile without a body with 400, not 500', async () => {
    const none = await api.inject({ method: 'POST', url: '/api/reconcile', headers: auth });
    expect(none.statusCode).toBe(400);
    expect(none.json().error.code).toBe('empty_body');
    const empty = await api.inject({ method: 'POST', url: '/api/reconcile', headers: { ...auth, 'content-type': 'text/plain' }, payload: '' });
    expect(empty.statusCode).toBe(400);
  });

  it('signs in with the start-up link\'s token, which is never written to disk', async () => {
    expect(app.signInUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#signin=[\w-]{43}$/);
    const token = app.signInUrl!.split('#signin=')[1]!;
    const res = await fetch(`http://127.0.0.1:${app.ports.http}/api/categories`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const files = (readdirSync(dir, { recursive: true }) as string[]).map((f) => path.join(dir, f)).filter((f) => statSync(f).isFile());
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(readFileSync(f).includes(token), f).toBe(false);
  });
});
