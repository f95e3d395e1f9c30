// A broken smarthost password makes every recipient fail at once: diagnose must call it a
// configuration problem (AUTH), and no recipient may be flagged for it.
import { afterEach, describe, expect, it } from 'vitest';
import { Upstream } from '../helpers/upstream.js';
import { cleanup, listRecipients, send, startRebound, tempDir, testConfig, waitFor } from '../helpers/rebound.js';
import type { Rebound } from '../../src/main.js';
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

describe('diagnose: SMTP configuration problem', () => {
  it('names AUTH as the cause when the smarthost password is wrong, with no recipient flagged', async () => {
    up = await new Upstream({ auth: { user: 'relay', pass: 'right' } }).start();
    const dir = tempDir();
    dirs.push(dir);
    app = await startRebound(testConfig(dir, up.port, { delivery: { smarthost: { auth: { user: 'relay', pass: 'wrong' } } } }));
    const rcpts = Array.from({ length: 50 }, (_, i) => `user${i}@domain${i % 17}.example`);
    for (let i = 0; i < 50; i += 10) await send(app.ports.submission, { to: rcpts.slice(i, i + 10) });
    const store = app.store;
    await waitFor(async () => (await Promise.all(rcpts.map((r) => store.eventsForRecipient(r)))).every((evs) => evs.some((e) => e.type === 'integration')), 10_000);

    const findings = await diagnose(store, { now: Date.now(), windowMs: 15 * 60_000 });
    const config = findings.find((f) => f.rule === 'smtp-config');
    expect(config?.title).toContain('SMTP configuration problem: AUTH rejected');
    expect(config).toMatchObject({ severity: 'critical' });
    expect(config!.summary).toMatch(/50 recipient\(s\) across 17 domain\(s\) \(0 flagged\)/);
    expect(config!.nextStep).toContain('delivery.smarthost.auth');
    expect(findings[0]).toBe(config); // most severe first
    expect(findings.some((f) => f.rule === 'address-specific' || f.rule === 'domain-blocked')).toBe(false);
    expect((await listRecipients(store, { invalid: true }))).toEqual([]);
    expect(formatFindings(findings)).toContain('CRITICAL  SMTP configuration problem: AUTH rejected');
  });
});
