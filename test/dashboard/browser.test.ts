// The dashboard in a real Chromium against a real Rebound: sign in, see a bounced recipient
// flagged with the category's why and what to do, clear the flag from the recipient page, tail
// events live, upload a log, and never render hostile bounce text as HTML.
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { categoryInfo } from '../../src/classify/index.js';
import type { HttpServer } from '../../src/http/server.js';
import { diagnoser, reconcileRunner } from '../../src/http/wiring.js';
import type { Rebound } from '../../src/main.js';
import { cleanup, send, startRebound, tempDir, testConfig, waitFor } from '../helpers/rebound.js';
import { Upstream } from '../helpers/upstream.js';
import { listenFor, TOKEN } from '../http/harness.js';
import { CHROMIUM_PATH, hasChromium, launchChromium, type Browser } from './chromium.js';

const PUBLIC_DIR = path.resolve(import.meta.dirname, '../../src/http/public');
const HOSTILE = '<img src=x onerror=alert(1)>';
const BAD = 'nobody@example.org';
/** Screenshots to look at after a run: /tmp/rebound-dashboard-<view>.png */
const shot = (page: Page, view: string) => page.screenshot({ path: `/tmp/rebound-dashboard-${view}.png`, fullPage: true });

describe('dashboard files', () => {
  const modules = (readdirSync(PUBLIC_DIR, { recursive: true }) as string[]).filter((f) => f.endsWith('.js')).map((f) => f.split(path.sep).join('/'));

  it('never builds HTML from strings', () => {
    for (const f of modules) {
      const src = readFileSync(path.join(PUBLIC_DIR, f), 'utf8');
      expect(src, f).not.toMatch(/\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write|\beval\(|new Function\(/);
    }
  });

  it('preloads every module from index.html', () => {
    const html = readFileSync(path.join(PUBLIC_DIR, 'index.html'), 'utf8');
    const listed = [...html.matchAll(/<link rel="modulepreload" href="([^"]+)">/g)].map((m) => m[1]);
    expect(listed.sort()).toEqual(modules.filter((f) => f !== 'app.js').sort());
    expect(html).not.toMatch(/https?:\/\//); // nothing from a CDN
  });
});

if (!hasChromium) {
  console.warn(`test/dashboard: SKIPPED, no Chromium at ${CHROMIUM_PATH} (CI installs it: apt-get install -y chromium; or set CHROMIUM_PATH)`);
}

describe.skipIf(!hasChromium)(`dashboard in Chromium (${CHROMIUM_PATH})`, () => {
  let dir: string;
  let up: Upstream;
  let app: Rebound;
  let server: HttpServer;
  let browser: Browser;
  let page: Page;
  const dialogs: string[] = [];
  const pageErrors: string[] = [];
  // Files the page asked for and did not get (a missing module, stylesheet or icon).
  const missingFiles: string[] = [];

  /** A link in the main navigation. */
  const nav = (name: string) => page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name, exact: true });
  const api = async (p: string) => {
    const res = await fetch(`${server.url}/api/${p}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    return res.json() as Promise<Record<string, unknown>>;
  };

  beforeAll(async () => {
    dir = tempDir();
    up = await new Upstream({ rcpt: { nobody: `550 5.1.1 ${HOSTILE} No such user here` } }).start();
    app = await startRebound(testConfig(dir, up.port));
    server = await listenFor(app, {
      diagnose: diagnoser(app.store), reconcile: reconcileRunner(app.store), heartbeatMs: 200,
      publicDir: PUBLIC_DIR,
    });
    await send(app.ports.submission, { to: ['ok@example.org', BAD], subject: `hello ${HOSTILE}` });
    await waitFor(async () => (await app.store.getRecipient(BAD))?.invalid && (await app.store.getRecipient('ok@example.org'))?.lastStatus === 'delivered');

    browser = await launchChromium();
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('response', (r) => {
      if (r.status() === 404 && !new URL(r.url()).pathname.startsWith('/api/')) missingFiles.push(r.url());
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await app?.stop(2_000);
    await up?.stop();
    if (dir) cleanup(dir);
  });

  it('asks for a token, refuses a wrong one, and signs in with the right one', async () => {
    await page.goto(`${server.url}/`);
    await page.getByLabel('API token').fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/Not accepted.*401/);
    await page.getByLabel('API token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('rebound.token'))).toBe(TOKEN);
  });

  it('shows the bounced recipient flagged, with the reason and the category\'s why and fix', async () => {
    const info = categoryInfo('Invalid Email');
    await nav('Activity › Email').click();
    const row = page.locator(`li[data-rcpt="${BAD}"]`);
    await row.waitFor();
    expect(await row.getAttribute('data-status')).toBe('bounced');
    expect(await row.locator('.outcome').getAttribute('aria-label')).toBe('bounced');
    expect(await page.locator('li[data-rcpt="ok@example.org"] .outcome').getAttribute('aria-label')).toBe('delivered');
    expect(await page.locator('li[data-rcpt="ok@example.org"] .flag-icon').count()).toBe(0);

    const flag = row.locator('.flag-icon');
    const tip = (await flag.getAttribute('title'))!;
    expect(tip).toContain('userunknown');
    expect(tip).toContain(info.why);
    expect(tip).toContain(info.todo);

    await flag.hover();
    await flag.click();
    const pop = row.locator('.popover');
    await pop.waitFor({ state: 'visible' });
    expect(await flag.getAttribute('aria-expanded')).toBe('true');
    const text = await pop.innerText();
    expect(text).toContain('Invalid email (userunknown)');
    expect(text).toContain(info.why);
    expect(text).toContain(info.todo);
    await shot(page, 'activity');
    await page.keyboard.press('Escape');
    await pop.waitFor({ state: 'hidden' });
  });

  it('shows hostile bounce text as text, never as markup', async () => {
    const reply = page.locator(`li[data-rcpt="${BAD}"] .reply`);
    expect(await reply.textContent()).toContain(HOSTILE);
    expect(await page.locator('img').count()).toBe(0);

    // An unmatched report whose diagnostic and reason text are hostile, on the Reports view.
    await app.store.appendEvents([{
      type: 'report', id: randomUUID(), time: Date.now(), reportId: 'r-hostile', kind: 'dsn', queueId: null, rcpt: null, verified: false, matchedBy: null,
      unmatchedWhy: `bad VERP signature ${HOSTILE}`, status: '5.1.1', replycode: '550', reason: 'userunknown', category: 'Invalid Email', hard: true,
      diagnostic: `<script>window.__pwned=1</script>${HOSTILE}`, decodedby: 'rfc3464',
    }]);
    await nav('Reports').click();
    const cell = page.locator('td .reply', { hasText: 'window.__pwned' });
    await cell.waitFor();
    expect(await cell.textContent()).toBe(`<script>window.__pwned=1</script>${HOSTILE}`);
    expect(await page.getByText(`bad VERP signature ${HOSTILE}`).count()).toBe(1);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(dialogs).toEqual([]);
    await shot(page, 'reports');
  });

  it('opens the recipient, clears the flag, and the API agrees', async () => {
    const info = categoryInfo('Invalid Email');
    await page.goto(`${server.url}/#/activity?status=bounced`);
    await page.locator(`li[data-rcpt="${BAD}"] a`, { hasText: BAD }).click();
    await page.getByRole('heading', { name: BAD }).waitFor();
    const state = page.locator('#flag-state');
    expect(await state.innerText()).toMatch(/Flagged: invalid email[\s\S]*userunknown[\s\S]*Invalid Email/);
    expect(await page.locator('.advice .why').innerText()).toContain(info.why);
    expect(await page.locator('.advice .todo').innerText()).toContain(info.todo);
    expect(await page.locator('.facts').innerText()).toContain(HOSTILE);
    await shot(page, 'recipient');

    await page.getByRole('button', { name: 'Clear flag' }).click();
    await expect.poll(() => state.innerText()).toMatch(/^Not flagged/);
    expect(await page.locator('.action-result').innerText()).toBe('Flag cleared.');
    expect(await page.getByRole('button', { name: 'Clear flag' }).isDisabled()).toBe(true);
    expect(((await api(`recipients/${BAD}`)).recipient as { invalid: boolean }).invalid).toBe(false);
    expect((await app.store.getRecipient(BAD))?.invalid).toBe(false);
    expect(await page.locator('table', { hasText: 'History' }).innerText()).toMatch(/clear\s+operator/);

    await nav('Activity › Email').click();
    await page.locator(`li[data-rcpt="${BAD}"]`).waitFor();
    expect(await page.locator(`li[data-rcpt="${BAD}"] .flag-icon`).count()).toBe(0);
  });

  it('suppresses and unsuppresses from the recipient page', async () => {
    await page.goto(`${server.url}/#/recipient/${encodeURIComponent(BAD)}`);
    await page.getByLabel('Suppression reason').fill('asked to stop');
    await page.getByRole('button', { name: 'Suppress' }).click();
    await expect.poll(() => page.locator('#suppression-state').innerText()).toMatch(/^Suppressed[\s\S]*asked to stop/);
    expect((await app.store.getRecipient(BAD))?.suppressed).toBe(true);
    await page.getByRole('button', { name: 'Unsuppress' }).click();
    await expect.poll(() => page.locator('#suppression-state').innerText()).toMatch(/^Not suppressed/);
    expect((await app.store.getRecipient(BAD))?.suppressed).toBe(false);
  });

  it('tails events live over the authenticated stream', async () => {
    await nav('Live tail').click();
    await expect.poll(() => page.locator('.live-status').getAttribute('data-state')).toBe('open');
    await send(app.ports.submission, { to: 'live@example.org' });
    const row = page.locator('tr.ev-attempt', { hasText: 'live@example.org' });
    await row.waitFor();
    expect(await row.locator('.outcome').getAttribute('aria-label')).toBe('delivered');
    await shot(page, 'live');
  });

  it('shows integration errors, the diagnosis and reconciliation results', async () => {
    await app.store.appendEvents([{ type: 'integration', id: randomUUID(), time: Date.now(), queueId: 'QINT', cause: 'tls', mx: 'smtp.example.net', code: 454, response: `454 4.7.0 TLS not available ${HOSTILE}`, rcpts: ['x@example.org'] }]);
    await nav('Integration errors').click();
    const card = page.locator('article[data-cause="tls"]');
    await card.waitFor();
    expect(await card.innerText()).toContain(`454 4.7.0 TLS not available ${HOSTILE}`);
    await shot(page, 'integration');

    await nav('Diagnosis').click();
    await page.locator('.finding, main .notice:not(.loading)').first().waitFor();
    expect(await page.locator('main [role=alert]').count()).toBe(0);

    await nav('Reconciliation').click();
    await page.getByLabel('Delivery log file').setInputFiles({ name: 'mail.log', mimeType: 'text/plain', buffer: Buffer.from('Jan  1 00:00:00 mx postfix/qmgr[1]: ABC: removed\n') });
    await page.getByLabel('Format').selectOption('postfix');
    await page.getByRole('button', { name: 'Reconcile' }).click();
    const files = page.locator('table', { hasText: 'Files read' });
    await files.waitFor();
    expect(await files.innerText()).toMatch(/mail\.log\s+postfix\s+1/);
    expect(await page.getByRole('heading', { name: /dry run/ }).count()).toBe(1);
    await shot(page, 'reconcile');
  });

  it('signs out and forgets the token; no script errors on the way', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token').waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('rebound.token'))).toBeNull();
    expect(pageErrors).toEqual([]);
    expect(missingFiles).toEqual([]);
    // Headless Chromium asks for no icon, a person's browser does: the page names one that exists.
    const icon = await page.evaluate(async () => {
      const link = document.querySelector<HTMLLinkElement>('link[rel~="icon"]');
      return link ? (await fetch(link.href)).status : 0;
    });
    expect(icon).toBe(200);
    expect(dialogs).toEqual([]);
  });
});
