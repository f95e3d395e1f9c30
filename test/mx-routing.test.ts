import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DnsStub } from './helpers/dns-stub.js';
import { Upstream } from './helpers/upstream.js';
import { cleanup, send, startRebound, tempDir, testConfig, waitFor } from './helpers/rebound.js';
import { mxRoute, systemMxResolver } from '../src/delivery/route.js';
import type { Rebound } from '../src/main.js';

describe('MX routing (DNS served by a local stub)', () => {
  let dns: DnsStub;
  let up: Upstream;
  let app: Rebound;
  let dir: string;
  beforeAll(async () => {
    up = await new Upstream({ rcpt: { unknown: '550 5.1.1 No such user here' } }).start();
    dns = await new DnsStub({
      // 127.0.0.2 has nothing listening: the first MX is down, the second answers.
      'good.test': { mx: [[20, '127.0.0.1'], [10, '127.0.0.2']] },
      'nullmx.test': { mx: [[0, '']] },
      'nodata.test': {},
      'broken.test': { servfail: true },
    }).start();
    dir = tempDir();
    app = await startRebound(testConfig(dir, 25, {
      delivery: { mode: 'mx', mxPort: up.port, dnsServers: [dns.server], retry: { firstDelayMs: 60_000, maxDelayMs: 60_000, lifetimeMs: 3_600_000 } },
    }));
  });
  afterAll(async () => {
    await app.stop(2_000);
    await up.stop();
    dns.stop();
    cleanup(dir);
  });

  it('orders MX hosts by preference, falls back to the domain without MX, rejects null MX and NXDOMAIN', async () => {
    const r = systemMxResolver([dns.server]);
    const good = await mxRoute(r, 'good.test', 25);
    expect(good.ok && good.destinations.map((d) => d.host)).toEqual(['127.0.0.2', '127.0.0.1']);
    const nodata = await mxRoute(r, 'nodata.test', 25);
    expect(nodata.ok && nodata.destinations.map((d) => d.host)).toEqual(['nodata.test']);
    expect(await mxRoute(r, 'nullmx.test', 25)).toMatchObject({ ok: false, permanent: true, code: 556, enhanced: '5.1.10' });
    expect(await mxRoute(r, 'missing.test', 25)).toMatchObject({ ok: false, permanent: true, enhanced: '5.1.2' });
    expect(await mxRoute(r, 'broken.test', 25)).toMatchObject({ ok: false, permanent: false });
  });

  it('delivers each recipient domain on its own route and fate', async () => {
    const res = await send(app.ports.submission, { to: ['a@good.test', 'unknown@good.test', 'b@nullmx.test', 'c@missing.test', 'd@broken.test'] });
    const q = /queued as (\w+)/.exec(res.response)![1]!;
    await waitFor(async () => (await app.store.getMessage(q))?.rcpts.every((r) => r.status !== 'queued'));
    const by = Object.fromEntries((await app.store.getMessage(q))!.rcpts.map((r) => [r.rcpt, r]));
    expect(by['a@good.test']).toMatchObject({ status: 'delivered', lastMx: '127.0.0.1' });
    expect(by['unknown@good.test']).toMatchObject({ status: 'bounced', lastCode: 550 });
    expect(by['b@nullmx.test']).toMatchObject({ status: 'bounced', lastCode: 556, lastEnhanced: '5.1.10' });
    expect(by['c@missing.test']).toMatchObject({ status: 'bounced', lastEnhanced: '5.1.2' });
    expect(by['d@broken.test']).toMatchObject({ status: 'deferred' });
    expect(up.deliveredTo()).toEqual(['a@good.test']);
    // the dead first MX was an integration error (connection), not the recipients' fault
    const integ = (await app.store.eventsForMessage(q)).filter((e) => e.type === 'integration');
    expect(integ.some((e) => e.type === 'integration' && e.mx === '127.0.0.2' && e.cause === 'connection')).toBe(true);
    expect((await app.store.getRecipient('a@good.test'))!.invalid).toBe(false);
    expect((await app.store.getRecipient('d@broken.test'))?.invalid ?? false).toBe(false);
    expect((await app.store.getRecipient('c@missing.test'))!.invalid).toBe(true);
  });
});
