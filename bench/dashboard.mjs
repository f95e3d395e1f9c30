#!/usr/bin/env node
// Dashboard paint timing of the Activity view: first paint, first contentful paint and "messages on
// screen" (the app's performance mark rebound:activity:ready), in the system Chromium, against a
// store of N messages (10% bounced and flagged).
// usage: npm run build && node bench/dashboard.mjs [--messages N] [--runs R] [--timeline]  (--timeline: every request of each load)
// Needs /usr/bin/chromium (apt-get install -y chromium) or CHROMIUM_PATH. Prints a table, then one JSON line.
import { seedStore } from './lib/seed-store.mjs';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
const N = opt('--messages', 5_000);
const RUNS = opt('--runs', 5);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TOKEN = 'bench-dashboard-token';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

if (!existsSync(CHROMIUM)) {
  console.error(`bench/dashboard: no Chromium at ${CHROMIUM}; apt-get install -y chromium, or set CHROMIUM_PATH`);
  process.exit(2);
}

const { LowdbStore } = await import(path.join(dist, 'store', 'index.js'));
const { recipientActions } = await import(path.join(dist, 'control', 'actions.js'));
const { startHttp } = await import(path.join(dist, 'http', 'server.js'));
const { silentLogger } = await import(path.join(dist, 'util', 'logger.js'));
const { hashPassword } = await import(path.join(dist, 'util', 'password.js'));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : null;
};
const ms = (x) => (x === null || x === undefined ? '-' : `${x.toFixed(0)} ms`);

const dir = mkdtempSync(path.join(os.tmpdir(), 'rebound-bench-dashboard-'));
const profile = mkdtempSync(path.join(os.tmpdir(), 'rebound-bench-chromium-'));
const logger = silentLogger();
const clock = { now: () => Date.now() };
const store = new LowdbStore({ dir, shards: 16, flushIntervalMs: 200, eventRetentionDays: 30, logger, clock });
await store.open();
const t0 = performance.now();
await seedStore(store, N, { domains: 200 });
await store.flush();
const seedMs = performance.now() - t0;

const server = await startHttp({
  config: { host: '127.0.0.1', port: 0, tokens: [await hashPassword(TOKEN)] },
  store, actions: recipientActions(store, clock.now), delivery: { queued: () => [] }, logger, clock,
  publicDir: path.join(root, 'src', 'http', 'public'),
});
const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1280, height: 860 } });
// Signed in already: the token is in sessionStorage before the page's scripts run.
await context.addInitScript((t) => sessionStorage.setItem('rebound.token', t), TOKEN);

const runs = [];
try {
  for (let i = 0; i < RUNS; i++) {
    const page = await context.newPage();
    // Run 0 is cold (nothing cached); later runs reuse the cached modules, like a returning user.
    await page.goto(`${server.url}/#/activity`);
    await page.waitForFunction(() => performance.getEntriesByName('rebound:activity:ready').length > 0, null, { timeout: 30_000 });
    const t = await page.evaluate(() => {
      const paint = Object.fromEntries(performance.getEntriesByType('paint').map((e) => [e.name, e.startTime]));
      const res = performance.getEntriesByType('resource');
      const api = (p) => res.find((r) => r.name.includes(`/api/${p}`))?.duration ?? null;
      return {
        firstPaint: paint['first-paint'] ?? null, firstContentfulPaint: paint['first-contentful-paint'] ?? null,
        messagesShown: performance.getEntriesByName('rebound:activity:ready')[0].startTime, domContentLoaded: performance.getEntriesByType('navigation')[0]?.domContentLoadedEventEnd ?? null,
        apiMessages: api('messages?'), apiCategories: api('categories'), modules: res.filter((r) => r.name.endsWith('.js')).length,
        timeline: res.map((r) => `${r.startTime.toFixed(0)}+${r.duration.toFixed(0)} ${r.name.replace(location.origin, '')}`),
        rows: document.querySelectorAll('li[data-rcpt]').length, flags: document.querySelectorAll('.flag-icon').length,
      };
    });
    runs.push(t);
    await page.close();
  }
} finally {
  await context.close();
  await server.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  rmSync(profile, { recursive: true, force: true });
}

if (args.includes('--timeline')) for (const r of runs) console.log(r.timeline.join('\n'), '\n');
const keys = ['firstPaint', 'firstContentfulPaint', 'domContentLoaded', 'messagesShown', 'apiMessages', 'apiCategories'];
console.log(`dashboard bench: ${N.toLocaleString('en')} messages (${(N / 10).toLocaleString('en')} flagged), store seeded in ${seedMs.toFixed(0)} ms, ${RUNS} page loads, ${runs[0].modules} JS modules, ${runs[0].rows} rows / ${runs[0].flags} flags on the first page`);
console.log(['', 'cold (run 1)', `median of ${RUNS}`].join('\t'.padEnd(2)));
for (const k of keys) console.log(`${k.padEnd(22)}${ms(runs[0][k]).padStart(10)}${ms(median(runs.map((r) => r[k]))).padStart(14)}`);
const summary = { bench: 'dashboard', messages: N, runs: RUNS, cold: Object.fromEntries(keys.map((k) => [k, runs[0][k] === null ? null : Math.round(runs[0][k])])), median: Object.fromEntries(keys.map((k) => [k, Math.round(median(runs.map((r) => r[k])) ?? -1)])) };
console.log(JSON.stringify(summary));
