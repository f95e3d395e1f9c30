// A complaint answered 250 must survive a SIGKILL right after the 250: the child is killed the
// moment the reply arrives, and the suppression must be on disk (read back by `rebound status`).
// The store's timed flush is set to ten minutes, so only the sync before the 250 can have saved it.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arf } from '../src/sandbox/reports.js';
import { Upstream } from './helpers/upstream.js';
import { cleanup, send, tempDir, waitFor } from './helpers/rebound.js';
import { ReboundChild, childConfig, cliJson, freePort, requireBuild, writeConfig } from './helpers/child.js';
import { RawClient } from './abuse/raw-smtp.js';

const DOMAIN = 'Bounces.Crash.test';
const SECRET = 'crash-test-secret-0123456789abcdef';

let up: Upstream;
let dir = '';
const children: ReboundChild[] = [];

beforeAll(async () => {
  requireBuild();
  up = await new Upstream().start();
  dir = tempDir('rebound-rp-crash-');
});

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await up?.stop();
  if (dir) cleanup(dir);
});

describe('return path: SIGKILL right after a 250', () => {
  it('keeps the suppression of an ARF complaint acknowledged just before the kill', { timeout: 60_000 }, async () => {
    const port = await freePort();
    const rpPort = await freePort();
    const configFile = path.join(dir, 'config.json');
    writeConfig(configFile, childConfig(path.join(dir, 'data'), port, up.port, {
      returnPath: { domain: DOMAIN, secret: SECRET, port: rpPort },
      store: { flushIntervalMs: 600_000, compactIntervalMs: 600_000 },
    }));
    const child = await ReboundChild.start(configFile, port);
    children.push(child);

    const rcpt = 'Complainer.Mixed@Example.ORG';
    await send(port, { from: 'News@Shop.Example', to: rcpt, subject: 'crash complaint' });
    const delivered = await waitFor(() => up.received.find((m) => m.to.some((t) => t.toLowerCase() === rcpt.toLowerCase())), 10_000);
    // The delivery outcome is made durable by the engine; give it a moment to finish.
    await new Promise((r) => setTimeout(r, 300));
    const raw = delivered.raw.toString('latin1');
    const headers = raw.slice(0, raw.indexOf('\r\n\r\n') + 2);
    const report = arf({ envelopeFrom: delivered.from, rcpt, headers, messageId: null, subject: 'crash complaint' }, 'fbl.example', '192.0.2.7');

    const { client } = await RawClient.connect(rpPort);
    for (const c of ['EHLO fbl.example\r\n', 'MAIL FROM:<>\r\n', `RCPT TO:<${delivered.from}>\r\n`, 'DATA\r\n']) {
      expect((await client.say(c))?.code, c).toBeLessThan(400);
    }
    await client.write(`${report}\r\n.\r\n`);
    const answer = await client.reply(10_000);
    child.proc.kill('SIGKILL');
    client.destroy();
    expect(answer?.code, answer?.text).toBe(250);
    expect((await child.exited).signal).toBe('SIGKILL');

    // Asked for as the store recorded it (address case normalisation is another change's job).
    const status = await cliJson<{ record: { suppressed: boolean; category: string | null } | null }>(['status', delivered.to[0]!, '--json', '--config', configFile]);
    expect(status.record, 'no record of the recipient after the kill').not.toBeNull();
    expect(status.record!.suppressed, 'the complaint answered 250 was lost in the crash').toBe(true);
    expect(status.record!.category).toBe('Spam');
  });
});
