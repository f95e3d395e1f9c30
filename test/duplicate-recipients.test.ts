// Spellings of one recipient in one envelope are one mailbox: one copy upstream, one record.
// smtp-server collapses them at RCPT already; this pins that, since one key per mailbox depends on it.
import { afterEach, describe, expect, it } from 'vitest';
import { Upstream } from './helpers/upstream.js';
import { cleanup, queueIdOf, startRebound, tempDir, testConfig, waitFor } from './helpers/rebound.js';
import { RawClient } from './abuse/raw-smtp.js';
import type { Rebound } from '../src/main.js';
import { addressKey } from '../src/util/address-key.js';

let app: Rebound | null = null;
let up: Upstream | null = null;
let dir: string | null = null;

afterEach(async () => {
  await app?.stop(2_000);
  await up?.stop();
  if (dir) cleanup(dir);
  app = null;
  up = null;
  dir = null;
});

describe('submission: duplicate recipients', () => {
  it('delivers one copy to a recipient written three times with different case (smtp-server keeps the last spelling)', async () => {
    up = await new Upstream().start();
    dir = tempDir();
    app = await startRebound(testConfig(dir, up.port));
    // Raw SMTP: a client library may collapse the spellings itself before the server sees them.
    const { client } = await RawClient.connect(app.ports.submission);
    let queued = '';
    try {
      for (const c of ['EHLO client.example', 'MAIL FROM:<sender@example.com>', 'RCPT TO:<Dup.Rcpt@Example.org>', 'RCPT TO:<dup.rcpt@example.org>', 'RCPT TO:<Other@Example.org>', 'RCPT TO:<DUP.RCPT@EXAMPLE.ORG>', 'DATA']) {
        const r = await client.say(`${c}\r\n`);
        expect(r?.code, `${c}: ${r?.text}`).toBeLessThan(400);
      }
      await client.write('Subject: dup\r\n\r\nhello\r\n.\r\n');
      queued = (await client.reply(10_000))?.text ?? '';
    } finally {
      client.destroy();
    }
    const q = queueIdOf(queued);
    await waitFor(async () => (await app!.store.getMessage(q))?.status === 'done', 5_000);
    const keys = (list: string[]) => list.map(addressKey).sort();
    expect(keys((await app.store.getMessage(q))!.rcpts.map((r) => r.rcpt))).toEqual(['dup.rcpt@example.org', 'other@example.org']);
    expect(keys(up.deliveredTo())).toEqual(['dup.rcpt@example.org', 'other@example.org']);
  });
});
