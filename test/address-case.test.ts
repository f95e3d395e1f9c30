// Letter case in addresses is ordinary input: one recipient however it is spelled, on every path.
// End to end over real SMTP through the sandbox: a complaint for `Complaint@Sandbox.Test` refuses
// new mail to every spelling; the operator, the API, the CLI and the hold mode all find it; the
// address as written is what goes upstream and what is shown.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LowdbStore } from '../src/store/index.js';
import { emptyRecipient } from '../src/recipients/reduce.js';
import { silentLogger } from '../src/util/logger.js';
import type { Rebound } from '../src/main.js';
import { reconcile } from '../src/reconcile/run.js';
import { apiFor, auth } from './http/harness.js';
import { Upstream } from './helpers/upstream.js';
import { startSandboxWorld, type SandboxWorld } from './helpers/sandbox-world.js';
import { cleanup, listMessages, listRecipients, queueIdOf, send, startRebound, tempDir, testConfig, waitFor } from './helpers/rebound.js';

describe('mixed-case addresses end to end', () => {
  let world: SandboxWorld;
  let app: Rebound;
  const D = 'Sandbox.Test';

  beforeAll(async () => {
    world = await startSandboxWorld();
    app = world.app;
  });
  afterAll(() => world.stop());

  it('a complaint for Complaint@Sandbox.Test refuses RCPT to both spellings with 550 5.7.1', async () => {
    await send(app.ports.submission, { from: 'news@shop.example', to: `Complaint@${D}` });
    await waitFor(async () => (await app.store.getRecipient('complaint@sandbox.test'))?.suppressed, 10_000);
    for (const rcpt of [`Complaint@${D}`, 'complaint@sandbox.test', 'COMPLAINT@SANDBOX.TEST']) {
      await expect(send(app.ports.submission, { to: rcpt }), rcpt).rejects.toThrow(/550 5\.7\.1 .* is on the suppression list/);
    }
    // Shown as first written (smtp-server lower-cases the domain on the way in).
    expect((await app.store.getRecipient('COMPLAINT@sandbox.test'))!.email).toBe('Complaint@sandbox.test');
    expect((await listRecipients(app.store, { suppressed: true })).filter((r) => r.email.toLowerCase() === 'complaint@sandbox.test')).toHaveLength(1);
    // The API finds it under any spelling; the operator lifts it under any spelling.
    const api = await apiFor(app);
    try {
      const res = await api.inject({ url: '/api/recipients/COMPLAINT%40sandbox.TEST', headers: auth });
      expect(res.statusCode).toBe(200);
      expect(JSON.parse(res.body).recipient).toMatchObject({ email: 'Complaint@sandbox.test', suppressed: true });
      const history = JSON.parse(res.body).history as Array<{ type: string }>;
      expect(history.map((e) => e.type)).toContain('suppress');
    } finally {
      await api.close();
    }
    await app.actions.unsuppress('complaint@SANDBOX.test');
    expect((await send(app.ports.submission, { to: 'complaint@sandbox.test' })).response).toMatch(/^250/);
  });

  it('the RCPT TO sent upstream is the address as written', async () => {
    const res = await send(app.ports.submission, { to: `Success.Mixed@${D}` });
    const q = /queued as (\w+)/.exec(res.response)![1]!;
    await waitFor(async () => (await app.store.getMessage(q))?.rcpts[0]?.status === 'delivered');
    expect((await app.store.getMessage(q))!.rcpts[0]!.rcpt).toBe('Success.Mixed@sandbox.test');
    expect((await app.store.getRecipient('success.mixed@sandbox.test'))?.deliveredCount).toBe(1);
    expect((await listMessages(app.store, { rcpt: 'SUCCESS.MIXED@SANDBOX.TEST' })).map((m) => m.queueId)).toEqual([q]);
  });

  it('a late bounce for a mixed-case address flags the one record, and a later spelling finds the flag', async () => {
    await send(app.ports.submission, { from: 'news@shop.example', to: `Late-Bounce@${D}` });
    await waitFor(async () => (await app.store.getRecipient('late-bounce@sandbox.test'))?.invalid, 10_000);
    expect((await listRecipients(app.store, { invalid: true })).map((r) => r.email)).toContain('Late-Bounce@sandbox.test');
    expect((await app.store.eventsForRecipient('LATE-BOUNCE@sandbox.test')).map((e) => e.type)).toContain('flag');
  });

  it('hold mode holds every spelling of a suppressed address', async () => {
    const d = tempDir();
    const hold = await startRebound(testConfig(d, world.sandbox.port, { submission: { suppressed: 'hold' } }));
    try {
      await hold.actions.suppress(`Held@${D}`, 'test');
      const res = await send(hold.ports.submission, { to: ['held@sandbox.test', 'success@sandbox.test'] });
      const q = /queued as (\w+)/.exec(res.response)![1]!;
      await waitFor(async () => (await hold.store.getMessage(q))?.rcpts.find((r) => r.rcpt === 'success@sandbox.test')?.status === 'delivered');
      await new Promise((r) => setTimeout(r, 300));
      expect((await hold.store.getMessage(q))!.rcpts.find((r) => r.rcpt === 'held@sandbox.test')!.status).toBe('queued');
    } finally {
      await hold.stop(1_000);
      cleanup(d);
    }
  });
});

describe('stores written with mixed-case keys', () => {
  it('are found under the normalised key after open, spellings merged, suppression kept', async () => {
    const dir = tempDir();
    try {
      const storeDir = path.join(dir, 'store');
      mkdirSync(storeDir);
      const old = { ...emptyRecipient('Old@Example.ORG'), suppressed: true, suppressedAt: 1, suppressedReason: 'spam complaint', lastEventAt: 1, failedCount: 1 };
      const newer = { ...emptyRecipient('old@example.org'), lastStatus: 'delivered' as const, deliveredCount: 2, lastEventAt: 5 };
      // A snapshot shard holding one spelling, a journal line holding another (as older versions wrote them).
      writeFileSync(path.join(storeDir, 'recipients-0.json'), JSON.stringify({ items: { 'Old@Example.ORG': old } }));
      writeFileSync(path.join(storeDir, 'journal-00000001.jsonl'), `${JSON.stringify({ c: 'r', k: 'old@example.org', v: newer })}\n${JSON.stringify({ c: 'r', k: 'Flagged@Example.org', v: { ...emptyRecipient('Flagged@Example.org'), invalid: true } })}\n`);
      const open = () => new LowdbStore({ dir: storeDir, shards: 1, flushIntervalMs: 3_600_000, eventRetentionDays: 30, logger: silentLogger(), clock: { now: () => Date.now() } });
      const s = open();
      await s.open();
      // Written back under the keys during open, before any new change is journalled under them.
      const keysOnDisk = () => Object.keys((JSON.parse(readFileSync(path.join(storeDir, 'recipients-0.json'), 'utf8')) as { items: Record<string, unknown> }).items).sort();
      expect(keysOnDisk()).toEqual(['flagged@example.org', 'old@example.org']);
      const r = (await s.getRecipient('OLD@example.org'))!;
      expect(r).toMatchObject({ email: 'Old@Example.ORG', suppressed: true, suppressedReason: 'spam complaint', lastStatus: 'delivered', deliveredCount: 2, failedCount: 1 });
      expect((await listRecipients(s))).toHaveLength(2);
      expect((await listRecipients(s, { suppressed: true })).map((x) => x.email)).toEqual(['Old@Example.ORG']);
      expect((await s.getRecipient('flagged@example.org'))?.invalid).toBe(true);
      await s.close();
      const again = open();
      await again.open({ readOnly: true });
      expect((await again.getRecipient('old@EXAMPLE.org'))).toMatchObject({ suppressed: true, deliveredCount: 2, failedCount: 1 });
    } finally {
      cleanup(dir);
    }
  });
});

describe('reconcile with a log that spells the address differently', () => {
  it('a failure recorded for Bob.Case@Example.org is taken back by a log line for bob.case@example.org', async () => {
    const up = await new Upstream({ rcpt: { 'bob.case': '550 5.1.1 <bob.case@example.org>: Recipient address rejected: User unknown' } }).start();
    const dir = tempDir();
    const app = await startRebound(testConfig(dir, up.port));
    try {
      const res = await send(app.ports.submission, { to: 'Bob.Case@Example.org' });
      const queueId = queueIdOf(res.response);
      await waitFor(async () => (await app.store.getRecipient('bob.case@example.org'))?.invalid);
      await waitFor(async () => (await app.store.getMessage(queueId))?.status === 'done');
      const msg = (await app.store.getMessage(queueId))!;
      const t = new Date(msg.rcpts[0]!.updatedAt + 1_000).toISOString();
      const file = path.join(dir, 'maillog');
      writeFileSync(file, [
        `${t} mx2 postfix/cleanup[881]: 4A1B2C3D4E: message-id=<${msg.messageId}>`,
        `${t} mx2 postfix/qmgr[870]: 4A1B2C3D4E: from=<sender@example.com>, size=812, nrcpt=1 (queue active)`,
        `${t} mx2 postfix/lmtp[883]: 4A1B2C3D4E: to=<bob.case@example.org>, relay=mail.example.org[private/dovecot-lmtp], delay=0.2, delays=0.1/0/0/0.1, dsn=2.0.0, status=sent (250 2.0.0 Saved)`,
      ].join('\n') + '\n');
      const result = await reconcile(app.store, [file], { utcOffsetMinutes: 0 });
      expect(result).toMatchObject({ mismatches: 1, changed: 1 });
      expect((await app.store.getRecipient('BOB.CASE@example.org'))).toMatchObject({ email: 'Bob.Case@example.org', invalid: false, lastStatus: 'delivered' });
      expect((await app.store.getMessage(queueId))!.rcpts[0]).toMatchObject({ rcpt: 'Bob.Case@example.org', status: 'delivered' });
    } finally {
      await app.stop(2_000);
      await up.stop();
      cleanup(dir);
    }
  });
});
