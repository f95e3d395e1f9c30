// Half-closing clients (Exim writes "." and QUIT together and shuts its sending side) and
// whole transactions pipelined in one write, on BOTH listeners, over raw sockets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Upstream } from '../helpers/upstream.js';
import { allEvents, cleanup, startRebound, tempDir, testConfig } from '../helpers/rebound.js';
import type { Rebound } from '../../src/main.js';
import type { RecipientEvent } from '../../src/types.js';
import { RawClient, type Reply } from './raw-smtp.js';

const RP_DOMAIN = 'Bounces.HalfClose.test';
// Long enough that a reply that never comes shows up as a missing reply, not as a 421 timeout.
const IDLE_MS = 20_000;
const MAX_BYTES = 4_000;

let up: Upstream;
let app: Rebound;
let dir: string;

beforeAll(async () => {
  up = await new Upstream().start();
  dir = tempDir('rebound-halfclose-');
  app = await startRebound(testConfig(dir, up.port, {
    submission: { trustedNetworks: ['127.0.0.1/32'], socketTimeoutMs: IDLE_MS, maxMessageBytes: MAX_BYTES },
    returnPath: { domain: RP_DOMAIN, secret: 'half-close-secret-0123456789', port: 0, socketTimeoutMs: IDLE_MS, maxMessageBytes: MAX_BYTES },
  }));
}, 30_000);

afterAll(async () => {
  await app?.stop(2_000);
  await up?.stop();
  if (dir) cleanup(dir);
});

interface Listener {
  name: 'submission' | 'return path';
  port(): number;
  from: string;
  to: string;
  /** How many messages carrying this Subject reached the upstream (submission only). */
  stored?(subject: string): number;
}

const reportEvents = async () => (await allEvents(app.store)).filter((e): e is Extract<RecipientEvent, { type: 'report' }> => e.type === 'report');

const LISTENERS: Listener[] = [
  {
    name: 'submission', port: () => app.ports.submission, from: 'Sender.Mixed@Example.COM', to: 'Alive.Rcpt@Example.ORG',
    stored: (subject) => up.received.filter((m) => m.raw.includes(subject)).length,
  },
  {
    name: 'return path', port: () => app.ports.returnPath!, from: '', to: `PostMaster@${RP_DOMAIN}`,
  },
];

const body = (subject: string) => `Subject: ${subject}\r\nMessage-ID: <${subject}@client.example>\r\n\r\nhello\r\n.\r\n`;
const transaction = (l: Listener, subject: string) => `MAIL FROM:<${l.from}>\r\nRCPT TO:<${l.to}>\r\nDATA\r\n${body(subject)}`;

async function waitUntilAsync(fn: () => Promise<boolean>, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 25))) if (await fn()) return true;
  return fn();
}

async function waitUntil(fn: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 25))) if (fn()) return true;
  return fn();
}

describe.each(LISTENERS)('$name listener', (l) => {
  it('answers 250 and 221 to a client that writes "." and QUIT together and half-closes (as Exim does)', async () => {
    const subject = `halfclose-${l.name.replace(' ', '')}-${Date.now()}`;
    const reportsBefore = (await reportEvents()).length;
    const { client } = await RawClient.connect(l.port());
    await client.write(`EHLO exim.example\r\n${transaction(l, subject)}QUIT\r\n`);
    client.sock.end();
    const replies: Reply[] = await client.replies(6, 8_000);
    const closed = await client.waitClosed(3_000);
    client.destroy();
    const codes = replies.map((r) => r.code);
    expect(codes, JSON.stringify(replies)).toEqual([250, 250, 250, 354, 250, 221]);
    expect(closed, 'the server closes its side after the 221').toBe(true);
    if (l.stored) expect(await waitUntil(() => l.stored!(subject) === 1, 5_000)).toBe(true);
    else expect(await waitUntilAsync(async () => (await reportEvents()).length - reportsBefore === 1, 5_000)).toBe(true);
  });

  it('answers the message of a client that half-closes right after "." (no QUIT), then closes', async () => {
    const subject = `halfclose-noquit-${l.name.replace(' ', '')}-${Date.now()}`;
    const { client } = await RawClient.connect(l.port());
    await client.write(`EHLO exim.example\r\n${transaction(l, subject)}`);
    client.sock.end();
    const replies = await client.replies(5, 8_000);
    expect(replies.map((r) => r.code), JSON.stringify(replies)).toEqual([250, 250, 250, 354, 250]);
    expect(await client.waitClosed(3_000)).toBe(true);
    client.destroy();
  });

  it('answers every command, in order, of four whole transactions pipelined in one write', async () => {
    const tag = `pipe-${l.name.replace(' ', '')}-${Date.now()}`;
    const { client } = await RawClient.connect(l.port());
    const start = Date.now();
    const N = 4;
    await client.write(`EHLO pipe.example\r\n${Array.from({ length: N }, (_, i) => transaction(l, `${tag}-${i}`)).join('')}QUIT\r\n`);
    const replies = await client.replies(1 + 4 * N + 1, 8_000);
    const took = Date.now() - start;
    client.destroy();
    const expected = [250, ...Array.from({ length: N }, () => [250, 250, 354, 250]).flat(), 221];
    expect(replies.map((r) => r.code), JSON.stringify(replies.map((r) => r.text))).toEqual(expected);
    // Well inside the idle timeout: nothing waited for it.
    expect(took).toBeLessThan(5_000);
    if (l.stored) {
      for (let i = 0; i < N; i++) expect(await waitUntil(() => l.stored!(`${tag}-${i}`) === 1, 5_000), `message ${i} relayed once`).toBe(true);
    }
  });

  it('answers each of three over-size messages pipelined in one write (refused at once, in order)', async () => {
    const { client } = await RawClient.connect(l.port());
    const big = `Subject: big\r\n\r\n${'x'.repeat(MAX_BYTES + 500)}\r\n.\r\n`;
    const tx = `MAIL FROM:<${l.from}>\r\nRCPT TO:<${l.to}>\r\nDATA\r\n${big}`;
    await client.write(`EHLO big.example\r\n${tx}${tx}${tx}QUIT\r\n`);
    const replies = await client.replies(14, 8_000);
    client.destroy();
    expect(replies.map((r) => r.code), JSON.stringify(replies.map((r) => r.text))).toEqual([250, 250, 250, 354, 552, 250, 250, 354, 552, 250, 250, 354, 552, 221]);
  });
});
