// AUTH brute force over real SMTP: attempts are counted before the password is checked, per
// client address and per user name, and a success never clears anyone's count.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Upstream } from '../helpers/upstream.js';
import { cleanup, startRebound, tempDir, testConfig } from '../helpers/rebound.js';
import { hashPassword } from '../../src/util/password.js';
import type { Rebound } from '../../src/main.js';
import { RawClient, capturingLogger, type Reply } from './raw-smtp.js';

const MAX = 5;
const RIGHT = 'the right one';
let up: Upstream;
let app: Rebound;
let dir: string;
const log = capturingLogger('info');

const plain = (u: string, p: string) => Buffer.from(`\0${u}\0${p}`).toString('base64');
const checkedFor = (user: string) => log.lines.filter((x) => x.msg === 'submission: authentication failed' && x.user === user).length;

beforeAll(async () => {
  up = await new Upstream().start();
  dir = tempDir('rebound-auth-');
  const hash = await hashPassword(RIGHT);
  app = await startRebound(testConfig(dir, up.port, {
    submission: {
      trustedNetworks: [], maxAuthFailures: MAX, maxClients: 300,
      users: ['Mixed.User', 'Reset.Victim', 'Known.Account', 'Spread.Target'].map((user) => ({ user, passwordHash: hash })),
    },
  }), { logger: log.logger });
}, 30_000);

afterAll(async () => {
  await app?.stop(2_000);
  await up?.stop();
  if (dir) cleanup(dir);
});

async function login(ip: string, user: string, pass: string): Promise<Reply | null> {
  const { client, greeting } = await RawClient.connect(app.ports.submission, { localAddress: ip });
  try {
    if (greeting?.code !== 220) return greeting;
    await client.say('EHLO brute.example\r\n');
    return await client.say(`AUTH PLAIN ${plain(user, pass)}\r\n`, 10_000);
  } finally {
    client.destroy();
  }
}

describe('submission AUTH throttle', () => {
  it('checks at most maxAuthFailures of 100 parallel guesses; the right password sent last does not get in', { timeout: 30_000 }, async () => {
    const ip = '127.0.0.5';
    const conns = await Promise.all(Array.from({ length: 100 }, () => RawClient.connect(app.ports.submission, { localAddress: ip })));
    expect(conns.every((c) => c.greeting?.code === 220)).toBe(true);
    await Promise.all(conns.map((c) => c.client.say('EHLO brute.example\r\n')));
    // All guesses leave at once; the right one is the last written.
    const answers = await Promise.all(conns.map((c, i) => c.client.say(`AUTH PLAIN ${plain('Mixed.User', i === 99 ? RIGHT : `guess ${i}`)}\r\n`, 20_000)));
    for (const c of conns) c.client.destroy();
    const codes = answers.map((a) => a?.code ?? 0);
    console.log(`[auth] 100 parallel guesses -> ${codes.filter((c) => c === 535).length}x535, ${codes.filter((c) => c === 421).length}x421, ${codes.filter((c) => c === 235).length}x235; passwords checked: ${checkedFor('Mixed.User')}`);
    expect(codes).not.toContain(235);
    expect(checkedFor('Mixed.User')).toBeLessThanOrEqual(MAX);
    expect(codes.filter((c) => c === 421).length).toBeGreaterThanOrEqual(100 - MAX);
  });

  it('does not reset the count of an address when someone logs in from it', async () => {
    const ip = '127.0.0.6';
    for (let i = 0; i < MAX - 1; i++) expect((await login(ip, 'Reset.Victim', `wrong ${i}`))?.code).toBe(535);
    // An attacker who knows one account (or a colleague behind the same NAT) logs in fine...
    expect((await login(ip, 'Known.Account', RIGHT))?.code).toBe(235);
    // ...and that does not give the guesses against Reset.Victim a fresh start.
    expect((await login(ip, 'Reset.Victim', 'wrong again'))?.code).toBe(421);
    expect((await login(ip, 'Known.Account', RIGHT))?.code).toBe(421);
  });

  it('counts per user too: guesses spread over many addresses lock that user, not others', async () => {
    const codes: Array<number | undefined> = [];
    for (let i = 1; i <= MAX; i++) codes.push((await login(`127.0.2.${i}`, 'Spread.Target', `wrong ${i}`))?.code);
    expect(codes).toEqual([...Array(MAX - 1).fill(535), 421]);
    const right = await login('127.0.2.50', 'Spread.Target', RIGHT);
    expect(right?.code, right?.text).toBe(421);
    // Another user from a fresh address is not affected.
    expect((await login('127.0.2.51', 'Known.Account', RIGHT))?.code).toBe(235);
  });
});
