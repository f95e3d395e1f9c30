// End to end: a real relay records a 550 from its upstream; the upstream's own Postfix log shows
// the same message delivered; reconcile takes the failure back and diagnose names the host.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Upstream } from '../helpers/upstream.js';
import { cleanup, queueIdOf, send, startRebound, tempDir, testConfig, waitFor } from '../helpers/rebound.js';
import type { Rebound } from '../../src/main.js';
import { reconcile } from '../../src/reconcile/run.js';
import { formatReconcileReport } from '../../src/reconcile/report.js';
import { diagnose, formatFindings } from '../../src/diagnose/index.js';

let app: Rebound | null = null;
let up: Upstream | null = null;
const dirs: string[] = [];

afterEach(async () => {
  await app?.stop(2_000);
  app = null;
  await up?.stop();
  up = null;
  for (const d of dirs.splice(0)) cleanup(d);
});

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Syslog "Mmm dd hh:mm:ss" in UTC (the test reads the log with utcOffsetMinutes: 0). */
function syslogTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

describe('reconcile end to end', () => {
  it('clears a flag the upstream set wrongly, records the mismatch, and diagnose names the host', async () => {
    up = await new Upstream({ rcpt: { bob: '550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown in virtual mailbox table' } }).start();
    const dir = tempDir();
    dirs.push(dir);
    app = await startRebound(testConfig(dir, up.port));
    const store = app.store;
    const res = await send(app.ports.submission, { to: ['bob@example.org', 'carol@example.net'] });
    const queueId = queueIdOf(res.response);
    await waitFor(async () => (await store.getRecipient('bob@example.org'))?.invalid);
    await waitFor(async () => (await store.getMessage(queueId))?.status === 'done');
    const msg = (await store.getMessage(queueId))!;
    expect(msg.messageId).toBeTruthy();
    const failedAt = msg.rcpts.find((r) => r.rcpt === 'bob@example.org')!.updatedAt;

    // The downstream MTA's log: the same message (by Message-ID) delivered to bob, among other traffic.
    const t = syslogTime(failedAt + 1_000);
    const log = [
      `${t} mx2 postfix/smtpd[880]: connect from relay.example.com[192.0.2.20]`,
      `${t} mx2 postfix/cleanup[881]: 5D3E2A1B0C: message-id=<unrelated.1@example.com>`,
      `${t} mx2 postfix/cleanup[881]: 4A1B2C3D4E: message-id=<${msg.messageId}>`,
      `${t} mx2 postfix/qmgr[870]: 4A1B2C3D4E: from=<sender@example.com>, size=812, nrcpt=1 (queue active)`,
      `${t} mx2 postfix/qmgr[870]: 5D3E2A1B0C: from=<other@example.com>, size=400, nrcpt=1 (queue active)`,
      `${t} mx2 postfix/smtp[882]: 5D3E2A1B0C: to=<bob@example.org>, relay=mail.example.org[198.51.100.25]:25, delay=0.3, delays=0.1/0/0.1/0.1, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 77AB)`,
      `${t} mx2 postfix/lmtp[883]: 4A1B2C3D4E: to=<bob@example.org>, relay=mail.example.org[private/dovecot-lmtp], delay=0.2, delays=0.1/0/0/0.1, dsn=2.0.0, status=sent (250 2.0.0 <bob@example.org> Saved)`,
      `${t} mx2 postfix/qmgr[870]: 4A1B2C3D4E: removed`,
    ].join('\n');
    const file = path.join(dir, 'maillog');
    writeFileSync(file, log + '\n');

    const dry = await reconcile(store, [file], { utcOffsetMinutes: 0, dryRun: true });
    expect(dry).toMatchObject({ mismatches: 1, changed: 1 });
    expect((await store.getRecipient('bob@example.org'))!.invalid).toBe(true); // a dry run writes nothing

    const result = await reconcile(store, [file], { utcOffsetMinutes: 0 });
    expect(result).toMatchObject({ candidates: 1, matched: 1, mismatches: 1, changed: 1, unmatched: 0, byUpstream: { '127.0.0.1': 1 } });
    expect(result.matches[0]).toMatchObject({ verdict: 'mismatch', queueId, rcpt: 'bob@example.org', flagCleared: true, evidence: { file, line: 7, format: 'postfix' } });
    expect(formatReconcileReport(result)).toContain('mismatch (flag cleared)');

    const rec = (await store.getRecipient('bob@example.org'))!;
    expect(rec).toMatchObject({ invalid: false, lastStatus: 'delivered', reconciledCount: 1, consecutiveFailures: 0 });
    expect((await store.getMessage(queueId))!.rcpts.find((r) => r.rcpt === 'bob@example.org')!.status).toBe('delivered');
    const events = (await store.eventsForRecipient('bob@example.org'));
    expect(events.find((e) => e.type === 'reconcile')).toMatchObject({ verdict: 'mismatch', upstreamHost: '127.0.0.1', evidence: { line: 7, text: expect.stringContaining('status=sent') } });
    expect(events.find((e) => e.type === 'clear')).toMatchObject({ by: 'reconcile', queueId });

    // Idempotent: the same log again changes nothing.
    const before = (await store.eventsForRecipient('bob@example.org')).length;
    const again = await reconcile(store, [file], { utcOffsetMinutes: 0 });
    expect(again).toMatchObject({ candidates: 0, changed: 0, mismatches: 0 });
    expect((await store.eventsForRecipient('bob@example.org'))).toHaveLength(before);

    const findings = await diagnose(store, { now: Date.now(), windowMs: 3_600_000 });
    const mismatch = findings.find((f) => f.rule === 'response-mismatch')!;
    expect(mismatch.title).toContain('127.0.0.1');
    expect(mismatch.evidence[0]!.text).toContain('550 5.1.1');
    expect(formatFindings(findings)).toContain('Server response mismatch: 127.0.0.1');
  });
});
