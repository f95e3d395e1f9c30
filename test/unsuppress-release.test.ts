// Lifting a suppression releases the messages held for that address, and only those: it must
// not retry the rest of the queue ahead of its backoff. (It did: every unsuppress, through the
// CLI, the control socket or the API, rescheduled every queued message for now, so one operator
// click spent an attempt on every deferred recipient of every destination.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Rebound } from '../src/main.js';
import { Upstream } from './helpers/upstream.js';
import { cleanup, send, startRebound, tempDir, testConfig, waitFor } from './helpers/rebound.js';

let up: Upstream;
let app: Rebound;
const dir = tempDir();

beforeAll(async () => {
  up = await new Upstream({ rcpt: { defer: '450 4.2.0 Try again later' } }).start();
  app = await startRebound(testConfig(dir, up.port, { submission: { suppressed: 'hold' }, delivery: { retry: { firstDelayMs: 60_000, maxDelayMs: 60_000 } } }));
});

afterAll(async () => {
  await app?.stop(1_000);
  await up?.stop();
  cleanup(dir);
});

const rcptOf = async (queueId: string, rcpt: string) => (await app.store.getMessage(queueId))?.rcpts.find((r) => r.rcpt === rcpt);
const queueIdOf = (response: string) => /queued as (\w+)/.exec(response)![1]!;

describe('unsuppress', () => {
  it('delivers what was held for that address (any spelling) and leaves other deferred mail on its schedule', async () => {
    const deferred = queueIdOf((await send(app.ports.submission, { to: 'defer@example.org' })).response);
    await waitFor(async () => (await rcptOf(deferred, 'defer@example.org'))?.status === 'deferred');

    await app.actions.suppress('Held@Example.org', 'test');
    const held = queueIdOf((await send(app.ports.submission, { to: 'held@example.org' })).response);
    await new Promise((r) => setTimeout(r, 300));
    expect(await rcptOf(held, 'held@example.org')).toMatchObject({ status: 'queued', attempts: 0 });

    await app.actions.unsuppress('HELD@EXAMPLE.ORG');
    await waitFor(async () => (await rcptOf(held, 'held@example.org'))?.status === 'delivered', 5_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(await rcptOf(deferred, 'defer@example.org')).toMatchObject({ status: 'deferred', attempts: 1 });
    expect(up.deliveredTo()).toEqual(['held@example.org']);
  });
});
