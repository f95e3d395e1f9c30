// The overview and the category badges in a real Chromium against a Rebound whose store holds
// known traffic per hour: the first-run sign-in link, the numbers on the charts and in their tables
// (equal to the API's and to the seed), badges with why / what to do on focus, filters, CSV.
// UPDATE_SCREENSHOTS=1 writes the README's screenshots to docs/screenshots/.
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATEGORIES, categoryInfo } from '../../src/classify/index.js';
import type { Rebound } from '../../src/main.js';
import { cleanup, startRebound, tempDir, testConfig } from '../helpers/rebound.js';
import { expectedCats, expectedHour, HOUR, HOURS, seedOverview, type Seeded } from '../helpers/seed-overview.js';
import { Upstream } from '../helpers/upstream.js';
import { CHROMIUM_PATH, hasChromium, launchChromium, type Browser } from './chromium.js';

const SHOTS = process.env.UPDATE_SCREENSHOTS ? path.resolve(import.meta.dirname, '../../docs/screenshots') : '/tmp';
const shot = async (page: Page, name: string) => {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${SHOTS === '/tmp' ? 'rebound-dashboard-' : ''}${name}.png`), fullPage: true });
};

interface Bucket { start: number; byCategory: Record<string, number>; delivered: number; accepted: number; bounced: number }

describe.skipIf(!hasChromium)(`overview in Chromium (${CHROMIUM_PATH})`, () => {
  let dir: string;
  let up: Upstream;
  let app: Rebound;
  let seeded: Seeded;
  let browser: Browser;
  let page: Page;
  let token: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    dir = tempDir();
    up = await new Upstream().start();
    app = await startRebound(testConfig(dir, up.port));
    seeded = await seedOverview(app.store);
    browser = await launchChromium();
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    await page.setViewportSize({ width: 1280, height: 900 });
    page.on('pageerror', (e) => pageErrors.push(e.message));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop(2_000);
    await up?.stop();
    if (dir) cleanup(dir);
  });

  const api = async (p: string) => {
    const res = await fetch(`http://127.0.0.1:${app.ports.http}/api/${p}`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    return res.json() as Promise<Record<string, unknown>>;
  };

  it('signs in through the start-up link and lands on the overview, with the token gone from the address bar', async () => {
    expect(app.signInUrl).toBeTruthy();
    token = app.signInUrl!.split('#signin=')[1]!;
    await page.goto(app.signInUrl!);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    expect(page.url()).not.toContain(token);
    expect(await page.evaluate(() => sessionStorage.getItem('rebound.token'))).toBe(token);
    // The link's entry was replaced, not added to: going back leaves the dashboard altogether.
    await page.goBack();
    expect(page.url()).not.toContain(token);
    await page.goto(`http://127.0.0.1:${app.ports.http}/#/`);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
  });

  it('shows the seeded counts per category and hour on the chart and in its table, equal to the API\'s', async () => {
    const utcOffset = await page.evaluate(() => -new Date().getTimezoneOffset());
    const o = (await api(`stats/overview?since=24h&bucket=hour&utcOffset=${utcOffset}`)) as { series: Bucket[]; totals: Record<string, number>; complaintRate: number };
    const chart = page.locator('#chart-categories');
    await chart.locator('rect.seg').first().waitFor();
    const hourStart = (i: number) => o.series.find((b) => b.start <= seeded.base + i * HOUR + HOUR / 2 && seeded.base + i * HOUR + HOUR / 2 < b.start + HOUR)!.start;

    for (let i = 0; i < HOURS; i++) {
      const start = hourStart(i);
      const fromApi = o.series.find((b) => b.start === start)!;
      const cats = expectedCats(i);
      expect(fromApi.byCategory, `API hour ${i}`).toEqual(cats);
      const row = chart.locator('tr.chart-row').nth(o.series.findIndex((b) => b.start === start));
      for (const c of CATEGORIES) {
        const seg = chart.locator(`rect.seg[data-start="${start}"][data-key="${c}"]`);
        if (cats[c] === 0) expect(await seg.count(), `${c} hour ${i}`).toBe(0);
        else {
          expect(await seg.getAttribute('data-value'), `${c} hour ${i}`).toBe(String(cats[c]));
          expect(await seg.locator('title').textContent()).toContain(`${c} ${cats[c]}`);
        }
        expect(await row.locator(`[data-key="${c}"]`).textContent(), `table ${c} hour ${i}`).toBe(String(cats[c]));
      }
      const total = Object.values(cats).reduce((a, b) => a + b, 0);
      expect(await chart.locator(`text.bar-total[data-start="${start}"]`).textContent()).toBe(String(total));
      // Bar heights follow the numbers: a taller stack for a larger total.
      const delivered = page.locator(`#chart-volume g[data-series="delivered"] .mark[data-start="${start}"]`);
      expect(await delivered.getAttribute('data-value')).toBe(String(expectedHour(i).delivered));
    }
    // A bucket with nothing seeded shows nothing, and says 0 in the table.
    const emptyIdx = o.series.findIndex((b) => b.start < seeded.base);
    expect(await chart.locator(`rect.seg[data-start="${o.series[emptyIdx]!.start}"]`).count()).toBe(0);
    expect(await chart.locator('tr.chart-row').nth(emptyIdx).locator('[data-key="Spam"]').textContent()).toBe('0');

    for (const k of ['accepted', 'delivered', 'bounced', 'complaints', 'flagged']) {
      expect(await page.locator(`[data-stat="${k}"] .stat-n`).textContent(), k).toBe(o.totals[k]!.toLocaleString('en'));
    }
    expect(await page.locator('.complaint-rate strong').textContent()).toBe(`${(o.complaintRate * 100).toFixed(3)} %`);
    expect(await page.locator('table', { hasText: 'Top failing recipient domains' }).innerText()).toMatch(/mail\.example\.com\s+9/);
    expect(await page.locator('table', { hasText: 'Integration errors by cause' }).innerText()).toMatch(/tls\s+2/);
    // Readable without colour: every category has its own fill pattern and a legend entry with its icon.
    const fills = new Set(await chart.locator('pattern').evaluateAll((ps) => ps.map((p) => p.innerHTML.replace(/#[0-9a-f]{6}/g, ''))));
    expect(fills.size).toBe(CATEGORIES.length);
    expect(await chart.locator('.legend li').allInnerTexts()).toEqual([...CATEGORIES].map((c) => expect.stringContaining(c)));
    await shot(page, 'overview');
  });

  it('redraws per day when the range changes', async () => {
    await page.locator('select[name=range]').selectOption('7d');
    await expect.poll(() => page.locator('#chart-categories figcaption').textContent()).toContain('per day');
    const bars = page.locator('#chart-categories g.bar');
    const totals = await bars.evaluateAll((gs) => gs.map((g) => Number((g as SVGGElement).dataset.total)));
    const seededTotal = Array.from({ length: HOURS }, (_, i) => Object.values(expectedCats(i)).reduce((a, b) => a + b, 0)).reduce((a, b) => a + b, 0);
    expect(totals.reduce((a, b) => a + b, 0)).toBe(seededTotal);
  });

  it('shows the category badge beside each address in Activity, with why and what to do on keyboard focus', async () => {
    const spam = seeded.sample.Spam!;
    await page.goto(`http://127.0.0.1:${app.ports.http}/#/activity?category=Spam`);
    const row = page.locator(`li[data-rcpt="${spam}"]`);
    await row.waitFor();
    // Delivered, then the complaint: the outcome icon says delivered, the badge says Spam.
    expect(await row.locator('.outcome').getAttribute('aria-label')).toBe('delivered');
    const badge = row.locator('.cat-badge');
    expect(await badge.innerText()).toBe('Spam');
    expect(await badge.locator('svg.cat-icon').count()).toBe(1);
    await badge.focus();
    const tip = row.locator('.cat-tip');
    await tip.waitFor({ state: 'visible' });
    expect(await tip.innerText()).toContain(categoryInfo('Spam').why);
    expect(await tip.innerText()).toContain(categoryInfo('Spam').todo);
    expect(await badge.getAttribute('aria-describedby')).toBe(await tip.getAttribute('id'));
    await page.keyboard.press('Tab');
    await tip.waitFor({ state: 'hidden' });

    await page.goto(`http://127.0.0.1:${app.ports.http}/#/activity?category=Autoresponder`);
    const ooto = page.locator(`li[data-rcpt="${seeded.sample.Autoresponder!}"] .cat-badge`);
    await ooto.waitFor();
    expect(await ooto.innerText()).toBe('Autoresponder');
    await ooto.hover();
    await page.locator(`li[data-rcpt="${seeded.sample.Autoresponder!}"] .cat-tip`).waitFor({ state: 'visible' });
  });

  it('filters recipients by category, and downloads that list as CSV', async () => {
    await page.goto(`http://127.0.0.1:${app.ports.http}/#/recipients`);
    await page.locator('[data-rcpt]').first().waitFor();
    await page.getByLabel('Category').selectOption('Blocked');
    await expect.poll(() => page.locator('.summary').textContent()).toBe('3 recipients match.');
    expect(await page.locator('[data-rcpt] .cat-badge').allInnerTexts()).toEqual(['Blocked', 'Blocked', 'Blocked']);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
    expect(download.suggestedFilename()).toBe('recipients.csv');
    const lines = readFileSync((await download.path())!, 'utf8').trimEnd().split('\r\n');
    expect(lines).toHaveLength(4);
    expect(lines.slice(1).every((l) => /^blocked-\d+@corp\.example\.org,Blocked,blocked,/.test(l))).toBe(true);
  });

  it('shows the category on the recipient page and in the reports list', async () => {
    const bad = seeded.sample['Invalid Email']!;
    await page.goto(`http://127.0.0.1:${app.ports.http}/#/recipient/${encodeURIComponent(bad)}`);
    await page.locator('h1 .cat-badge').waitFor();
    expect(await page.locator('h1 .cat-badge').innerText()).toBe('Invalid Email');
    expect(await page.locator('.advice .why').innerText()).toContain(categoryInfo('Invalid Email').why);
    await shot(page, 'recipient');

    // Lists whose API answer has no category look the addresses up in one request.
    await page.goto(`http://127.0.0.1:${app.ports.http}/#/integration?since=24h`);
    const full = page.locator(`span.addr[data-addr="${seeded.sample['Mailbox Error']!}"] .cat-badge`).first();
    await full.waitFor({ state: 'attached' });
    expect(await full.textContent()).toBe('Mailbox Error');

    await page.goto(`http://127.0.0.1:${app.ports.http}/#/reports?matched=true&since=24h&category=Spam`);
    await page.locator('td .cat-badge').first().waitFor();
    expect(await page.locator('td .cat-badge').allInnerTexts()).toEqual(['Spam', 'Spam']);
    expect(pageErrors).toEqual([]);
  });
});
