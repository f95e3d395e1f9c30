import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../src/sandbox/index.js';
import { makeReturnPath } from '../src/delivery/index.js';
import type { Rebound } from '../src/main.js';
import type { RecipientEvent } from '../src/types.js';
import { startSandboxWorld, type SandboxWorld } from './helpers/sandbox-world.js';
import { allEvents, cleanup, send, startRebound, tempDir, testConfig, waitFor } from './helpers/rebound.js';

/** Sends raw mail to the return-path port, like a remote MTA would. */
function deliverReport(port: number, from: string, to: string, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = new SMTPConnection({ host: '127.0.0.1', port, ignoreTLS: true, logger: false });
    c.on('error', reject);
    c.connect((err) => {
      if (err) return reject(err);
      c.send({ from: from || false, to: [to] }, body, (e, info) => {
        c.quit();
        if (e) reject(e);
        else resolve(info!.response);
      });
    });
  });
}

const reports = async (app: Rebound, rcpt: string) =>
  (await app.store.eventsForRecipient(rcpt)).filter((e): e is Extract<RecipientEvent, { type: 'report' }> => e.type === 'report');

describe('return path end to end: relay to the sandbox, reports come back', () => {
  let world: SandboxWorld;
  let app: Rebound;
  let sandbox: Sandbox;
  const D = 'sandbox.test';

  beforeAll(async () => {
    world = await startSandboxWorld(D);
    ({ app, sandbox } = world);
  });
  afterAll(() => world.stop());

  it('a late DSN flags the address', async () => {
    await send(app.ports.submission, { from: 'news@shop.example', to: `late-bounce@${D}` });
    const rcpt = `late-bounce@${D}`;
    await waitFor(async () => (await app.store.getRecipient(rcpt))?.invalid, 10_000);
    const rec = (await app.store.getRecipient(rcpt))!;
    expect(rec).toMatchObject({ reason: 'userunknown', category: 'Invalid Email', lastStatus: 'bounced' });
    const r = (await reports(app, rcpt))[0]!;
    expect(['dsn', 'lhost']).toContain(r.kind);
    expect(r).toMatchObject({ verified: true, matchedBy: 'verp', status: '5.1.1', hard: true });
    const msg = (await app.store.getMessage(r.queueId!))!;
    expect(msg.rcpts[0]!.status).toBe('bounced');
    const events = (await app.store.eventsForRecipient(rcpt)).map((e) => e.type);
    expect(events).toContain('flag');
  });

  it('a success DSN for a flagged address counts as delivered and clears the flag', async () => {
    const rcpt = `late-bounce@${D}`;
    expect((await app.store.getRecipient(rcpt))!.invalid).toBe(true);
    const last = (await reports(app, rcpt))[0]!;
    const msg = (await app.store.getMessage(last.queueId!))!;
    const verp = makeReturnPath(app.config.returnPath.secret!, 'bounces.rebound.test', msg.queueId, 0, rcpt);
    const body = [
      'From: MAILER-DAEMON@mx.sandbox.test', `To: <${verp}>`, 'Subject: Successful Mail Delivery Report', 'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="s"', '', '--s', 'Content-Type: text/plain', '', 'Your message was delivered.', '',
      '--s', 'Content-Type: message/delivery-status', '', 'Reporting-MTA: dns; mx.sandbox.test', '', `Final-Recipient: rfc822; ${rcpt}`,
      'Action: delivered', 'Status: 2.0.0', 'Diagnostic-Code: smtp; 250 2.0.0 Ok: delivered to mailbox', '', '--s--', '',
    ].join('\r\n');
    expect(await deliverReport(app.ports.returnPath!, '', verp, body)).toMatch(/^250/);
    await waitFor(async () => (await app.store.getRecipient(rcpt))?.invalid === false);
    expect((await app.store.getRecipient(rcpt))!.lastStatus).toBe('delivered');
    expect((await app.store.eventsForRecipient(rcpt)).map((e) => e.type)).toContain('clear');
  });

  it('an ARF complaint suppresses the address; submission then refuses it with 550 5.7.1 until unsuppressed', async () => {
    const rcpt = `complaint@${D}`;
    await send(app.ports.submission, { from: 'news@shop.example', to: rcpt });
    await waitFor(async () => (await app.store.getRecipient(rcpt))?.suppressed, 10_000);
    expect((await app.store.getRecipient(rcpt))).toMatchObject({ invalid: false, category: 'Spam', reason: 'feedback' });
    expect((await reports(app, rcpt))[0]).toMatchObject({ kind: 'arf', verified: true, reason: 'feedback' });
    await expect(send(app.ports.submission, { to: rcpt })).rejects.toThrow(/550 5\.7\.1 <complaint@sandbox\.test> is on the suppression list/);
    await app.actions.unsuppress(rcpt);
    const ok = await send(app.ports.submission, { to: `success@${D}` });
    expect(ok.response).toMatch(/^250/);
    const again = await send(app.ports.submission, { to: rcpt });
    expect(again.response).toMatch(/^250/);
  });

  it('in "hold" mode a suppressed recipient is accepted but held until unsuppressed', async () => {
    const d = tempDir();
    const hold = await startRebound(testConfig(d, sandbox.port, { submission: { suppressed: 'hold' } }));
    try {
      const rcpt = `held@${D}`;
      await hold.actions.suppress(rcpt, 'test');
      const res = await send(hold.ports.submission, { to: [rcpt, `success@${D}`] });
      const q = /queued as (\w+)/.exec(res.response)![1]!;
      await waitFor(async () => (await hold.store.getMessage(q))?.rcpts.find((r) => r.rcpt === `success@${D}`)?.status === 'delivered');
      await new Promise((r) => setTimeout(r, 300));
      expect((await hold.store.getMessage(q))!.rcpts.find((r) => r.rcpt === rcpt)!.status).toBe('queued');
      await hold.actions.unsuppress(rcpt);
      await waitFor(async () => (await hold.store.getMessage(q))?.rcpts.find((r) => r.rcpt === rcpt)?.status === 'delivered');
    } finally {
      await hold.stop(1_000);
      cleanup(d);
    }
  });

  it('an auto-reply is recorded as Autoresponder and never flags', async () => {
    const rcpt = `ooto@${D}`;
    await send(app.ports.submission, { from: 'news@shop.example', to: rcpt, subject: 'Our offer' });
    await waitFor(async () => (await reports(app, rcpt)).length > 0, 10_000);
    expect((await reports(app, rcpt))[0]).toMatchObject({ kind: 'autoreply', reason: 'vacation', category: 'Autoresponder', verified: true });
    const rec = (await app.store.getRecipient(rcpt))!;
    expect(rec.invalid).toBe(false);
    expect(rec.lastStatus).toBe('delivered');
  });

  it('synchronous sandbox answers: bounce flags, full defers, blocked is Blocked and unflagged', async () => {
    await send(app.ports.submission, { to: [`bounce@${D}`, `full@${D}`, `blocked@${D}`] });
    await waitFor(async () => (await app.store.getRecipient(`blocked@${D}`)) && (await app.store.getRecipient(`full@${D}`)) && (await app.store.getRecipient(`bounce@${D}`)));
    expect((await app.store.getRecipient(`bounce@${D}`))).toMatchObject({ invalid: true, reason: 'userunknown' });
    expect((await app.store.getRecipient(`full@${D}`))).toMatchObject({ invalid: false, lastStatus: 'deferred', reason: 'mailboxfull', category: 'Mailbox Error' });
    expect((await app.store.getRecipient(`blocked@${D}`))).toMatchObject({ invalid: false, lastStatus: 'bounced', category: 'Blocked' });
  });

  it('a forged bounce (bad signature, or no token for a VERP message) changes nothing', async () => {
    const rcpt = `success@${D}`;
    const res = await send(app.ports.submission, { from: 'news@shop.example', to: rcpt });
    const q = /queued as (\w+)/.exec(res.response)![1]!;
    await waitFor(async () => (await app.store.getMessage(q))?.rcpts[0]!.status === 'delivered');
    const before = JSON.stringify((await app.store.getRecipient(rcpt)));
    const dsnFor = (to: string) => [
      'From: MAILER-DAEMON@evil.example', `To: <${to}>`, 'Subject: Undelivered Mail Returned to Sender', 'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="x"', '', '--x', 'Content-Type: text/plain', '', 'failed', '',
      '--x', 'Content-Type: message/delivery-status', '', 'Reporting-MTA: dns; evil.example', '', `Final-Recipient: rfc822; ${rcpt}`,
      'Action: failed', 'Status: 5.1.1', 'Diagnostic-Code: smtp; 550 5.1.1 User unknown', '',
      '--x', 'Content-Type: text/rfc822-headers', '', `X-Rebound-Queue-Id: ${q}`, 'Subject: hi', '', '--x--', '',
    ].join('\r\n');
    const forgedToken = `b+${q}-0-0123456789abcdef@bounces.rebound.test`;
    expect(await deliverReport(app.ports.returnPath!, '', forgedToken, dsnFor(forgedToken))).toMatch(/^250/);
    expect(await deliverReport(app.ports.returnPath!, '', 'bounces@bounces.rebound.test', dsnFor('bounces@bounces.rebound.test'))).toMatch(/^250/);
    await waitFor(async () => (await reports(app, rcpt)).length >= 0 && (await allEvents(app.store)).filter((e) => e.type === 'report' && !e.verified).length >= 2);
    expect(JSON.stringify((await app.store.getRecipient(rcpt)))).toBe(before);
    const unmatched = (await allEvents(app.store)).filter((e): e is Extract<RecipientEvent, { type: 'report' }> => e.type === 'report' && !e.verified);
    expect(unmatched.map((u) => u.unmatchedWhy).join(' | ')).toMatch(/signature does not match.*\|.*no valid signature/);
  });

  it('the return-path server is not a relay: other recipients are refused with 550 5.1.1', async () => {
    await expect(deliverReport(app.ports.returnPath!, 'x@example.com', 'someone@elsewhere.example', 'Subject: hi\r\n\r\nhi\r\n')).rejects.toThrow(/550 5\.1\.1/);
  });
});
