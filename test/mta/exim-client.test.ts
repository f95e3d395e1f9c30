// A real Exim as the client of both listeners. Exim pipelines "." and QUIT and half-closes its
// side; each message and each DSN must be answered 250 (Exim logs "=>" with our reply) and be
// taken once, never resent.
import path from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Rebound } from '../../src/main.js';
import type { RecipientEvent } from '../../src/types.js';
import { Upstream } from '../helpers/upstream.js';
import { allEvents, cleanup, startRebound, tempDir, testConfig } from '../helpers/rebound.js';
import { prepareExim, startExim, type EximInstance } from '../helpers/mta/exim.js';

const { exim, skip } = await prepareExim();
const RP = 'bounces.exim.test';

async function submit(port: number, from: string, to: string, subject: string): Promise<void> {
  const t = nodemailer.createTransport({ host: '127.0.0.1', port, ignoreTLS: true });
  try {
    await t.sendMail({ envelope: { from, to: [to] }, from, to, subject, text: 'hello\n' });
  } finally {
    t.close();
  }
}

async function waitForLog(mta: EximInstance, re: RegExp, timeoutMs = 20_000): Promise<RegExpExecArray> {
  for (const end = Date.now() + timeoutMs; ; await new Promise((r) => setTimeout(r, 100))) {
    const m = re.exec(mta.log());
    if (m) return m;
    if (Date.now() > end) throw new Error(`no Exim log line matching ${re} within ${timeoutMs} ms:\n${mta.log().slice(-3_000)}`);
  }
}

describe.skipIf(skip !== null)(`Exim as the client of both listeners${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let dir: string;
  let up: Upstream;
  let app: Rebound;
  let hop: EximInstance;

  beforeAll(async () => {
    dir = tempDir('rebound-exim-');
    up = await new Upstream({ rcpt: { unknown: '550 5.1.1 No such user here' } }).start();
    app = await startRebound(testConfig(path.join(dir, 'rebound'), up.port, {
      submission: { trustedNetworks: ['127.0.0.1/32'] },
      returnPath: { domain: RP, secret: 'exim-client-secret-0123456789', port: 0 },
    }));
    // Exim: c.test goes to Rebound's submission, b.test to the upstream (which refuses unknown*),
    // and the return-path domain to Rebound's return path.
    hop = await startExim({
      exim: exim!, dir: path.join(dir, 'exim'), name: 'exhop',
      routes: { 'c.test': `127.0.0.1:${app.ports.submission}`, 'b.test': `127.0.0.1:${up.port}`, [RP]: `127.0.0.1:${app.ports.returnPath}` },
    });
  }, 90_000);

  afterAll(async () => {
    await hop?.stop();
    await app?.stop(2_000);
    await up?.stop();
    if (dir) cleanup(dir);
  });

  it('relays a message Exim hands to submission once, and Exim logs our 250', async () => {
    await submit(hop.ports.smtp, 'Alice.Mixed@Shop.Example', 'Bob.Mixed@C.test', 'exim to submission');
    const line = await waitForLog(hop, /=> Bob\.Mixed@C\.test .*C="250 2\.0\.0 Ok: queued as (\w+)"/i);
    await new Promise((r) => setTimeout(r, 5_000)); // two of Exim's queue runs: a resend would show
    expect(hop.log()).not.toMatch(/== Bob\.Mixed@C\.test/i);
    const copies = up.received.filter((m) => m.to.some((t) => t.toLowerCase() === 'bob.mixed@c.test'));
    expect(copies, `message ${line[1]} relayed ${copies.length} times`).toHaveLength(1);
  }, 30_000);

  it('records an Exim DSN once, and Exim logs our 250 for it', async () => {
    const before = (await allEvents(app.store)).filter((e) => e.type === 'report').length;
    // Exim accepts it, the upstream refuses it, Exim bounces to the sender on the return path.
    await submit(hop.ports.smtp, `Sender.Mixed@${RP}`, 'unknown.Mixed@B.test', 'exim dsn');
    await waitForLog(hop, /=> Sender\.Mixed@bounces\.exim\.test .*C="250 2\.0\.0 Ok: report [0-9a-f-]{36}"/i);
    await new Promise((r) => setTimeout(r, 5_000));
    expect(hop.log()).not.toMatch(/== Sender\.Mixed@bounces\.exim\.test/i);
    const reports = (await allEvents(app.store)).filter((e): e is Extract<RecipientEvent, { type: 'report' }> => e.type === 'report').slice(before);
    expect(reports, JSON.stringify(reports)).toHaveLength(1);
  }, 30_000);
});
