// A reconnecting live-events client (Last-Event-ID) gets what it missed from the store's event
// window, then the live events, each exactly once, also when events arrive during the replay.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttp, type HttpServer } from '../../src/http/server.js';
import { LowdbStore } from '../../src/store/index.js';
import type { RecipientEvent } from '../../src/types.js';
import { silentLogger } from '../../src/util/logger.js';
import { cleanup, tempDir, waitFor } from '../helpers/rebound.js';
import { TOKEN, testTokenHash } from './harness.js';

const ev = (id: string, rcpt = 'Some.One@Example.org'): RecipientEvent =>
  ({ type: 'suppress', id, time: Date.now(), rcpt, reason: null, queueId: null, by: 'operator' });

describe('live events after a reconnect', () => {
  let dir: string;
  let store: LowdbStore;
  let http: HttpServer;
  beforeAll(async () => {
    dir = tempDir();
    store = new LowdbStore({ dir, shards: 2, flushIntervalMs: 50, eventRetentionDays: 30, logger: silentLogger(), clock: { now: () => Date.now() } });
    await store.open();
    http = await startHttp({
      config: { host: '127.0.0.1', port: 0, tokens: [await testTokenHash()] },
      store, logger: silentLogger(), clock: { now: () => Date.now() }, actions: {} as never, delivery: {} as never, heartbeatMs: 60_000,
    });
  });
  afterAll(async () => {
    await http.close();
    await store.close();
    cleanup(dir);
  });

  it('replays the events after Last-Event-ID, then streams new ones, none twice, filtered by any spelling', async () => {
    for (const id of ['e1', 'e2', 'e3']) await store.appendEvents([ev(id)]);
    await store.appendEvents([ev('other', 'someone.else@example.org')]);
    await store.flush();
    const ids: string[] = [];
    let text = '';
    const req = request({
      host: '127.0.0.1', port: http.port, path: `/api/events/stream?rcpt=${encodeURIComponent('SOME.ONE@example.ORG')}`,
      headers: { authorization: `Bearer ${TOKEN}`, 'last-event-id': 'e1' },
    }, (res) => {
      res.setEncoding('utf8').on('data', (c: string) => {
        text += c;
        for (const m of c.matchAll(/^id: (\S+)$/gm)) ids.push(m[1]!);
      });
    });
    req.end();
    // Appended while the client is connecting: arrives once, after the replay.
    await store.appendEvents([ev('e4')]);
    await waitFor(() => text.includes(': connected'), 5_000);
    await store.appendEvents([ev('e5')]);
    await waitFor(() => ids.includes('e5'), 5_000);
    req.destroy();
    expect(ids).toEqual(['e2', 'e3', 'e4', 'e5']);
  });
});
