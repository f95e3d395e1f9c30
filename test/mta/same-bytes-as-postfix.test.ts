// The same client bytes to a real Postfix and to both Rebound listeners: a half-closing client
// ("." + QUIT + FIN in one write, as Exim sends) and four whole transactions pipelined in one
// write. Rebound must answer them as Postfix does: the same reply codes, in the same order.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Rebound } from '../../src/main.js';
import { Upstream } from '../helpers/upstream.js';
import { cleanup, startRebound, tempDir, testConfig } from '../helpers/rebound.js';
import { postfixSkip, startPostfix, type PostfixInstance } from '../helpers/mta/postfix.js';
import { RawClient } from '../abuse/raw-smtp.js';

const RP = 'bounces.peer.test';

/** Writes `bytes` once the greeting is in (half-closing after if asked) and returns every reply code until the server closes. */
async function codes(port: number, bytes: string, halfClose: boolean): Promise<number[]> {
  const { client, greeting } = await RawClient.connect(port);
  await client.write(bytes);
  if (halfClose) client.sock.end();
  const replies = await client.replies(40, 10_000);
  client.destroy();
  // EHLO's reply is one multi-line reply: its code once.
  return [greeting?.code ?? 0, ...replies.map((r) => r.code)];
}

describe.skipIf(postfixSkip !== null)(`same bytes to Postfix and to Rebound${postfixSkip ? ` (skipped: ${postfixSkip})` : ''}`, () => {
  let dir: string;
  let up: Upstream;
  let app: Rebound;
  let postfix: PostfixInstance;

  beforeAll(async () => {
    dir = tempDir('rebound-peer-');
    up = await new Upstream().start();
    app = await startRebound(testConfig(path.join(dir, 'rebound'), up.port, {
      submission: { trustedNetworks: ['127.0.0.1/32'], socketTimeoutMs: 20_000 },
      returnPath: { domain: RP, secret: 'peer-secret-0123456789abcdef', port: 0, acceptDomains: ['b.test'], socketTimeoutMs: 20_000 },
    }));
    postfix = await startPostfix({ dir: path.join(dir, 'postfix'), name: 'peer', virtual: { domains: ['b.test'], mailboxes: ['known.mixed@b.test'] } });
  }, 60_000);

  afterAll(async () => {
    await postfix?.stop();
    await app?.stop(2_000);
    await up?.stop();
    if (dir) cleanup(dir);
  });

  const tx = (i: number) => `MAIL FROM:<Sender.Mixed@Shop.Example>\r\nRCPT TO:<Known.Mixed@B.test>\r\nDATA\r\nSubject: same bytes ${i}\r\nMessage-ID: <same-${i}-${Date.now()}@shop.example>\r\n\r\nhello\r\n.\r\n`;
  const cases = {
    'half-close after "." and QUIT': { bytes: `EHLO client.example\r\n${tx(0)}QUIT\r\n`, halfClose: true },
    'half-close right after "."': { bytes: `EHLO client.example\r\n${tx(1)}`, halfClose: true },
    'four transactions in one write': { bytes: `EHLO client.example\r\n${[2, 3, 4, 5].map(tx).join('')}QUIT\r\n`, halfClose: false },
  };

  for (const [name, c] of Object.entries(cases)) {
    it(`${name}: submission and the return path answer as Postfix does`, async () => {
      const ref = await codes(postfix.ports.smtp, c.bytes, c.halfClose);
      const sub = await codes(app.ports.submission, c.bytes, c.halfClose);
      const rp = await codes(app.ports.returnPath!, c.bytes, c.halfClose);
      console.log(`[peer] ${name}: Postfix ${ref.join(' ')} | submission ${sub.join(' ')} | return path ${rp.join(' ')}`);
      expect(ref.filter((x) => x === 250).length, 'Postfix itself accepted the messages').toBeGreaterThan(1);
      expect(sub).toEqual(ref);
      expect(rp).toEqual(ref);
    });
  }
});
