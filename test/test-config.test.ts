// The in-process test config must never bind a fixed port: with the return path on (a `domain`),
// the default 2526 collided with a Rebound the developer runs beside the suite (the README's
// sandbox walkthrough), and delivery.test.ts failed with EADDRINUSE 127.0.0.1:2526.
import { describe, expect, it } from 'vitest';
import { testConfig } from './helpers/rebound.js';

describe('testConfig', () => {
  it('puts every listener on port 0 unless the test asks for one', () => {
    const c = testConfig('/tmp/unused', 1, { returnPath: { domain: 'bounces.example.net', secret: 'k3y-k3y-k3y-k3y-k3y' } });
    expect([c.submission.port, c.returnPath.port, c.http.port]).toEqual([0, 0, 0]);
    expect(testConfig('/tmp/unused', 1, { returnPath: { port: 4242 } }).returnPath.port).toBe(4242);
  });
});
