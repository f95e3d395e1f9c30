// Reconcile benchmark: a 1,000,000-line Postfix log against a store of 100,000 recipients.
// Run after a build: `npm run build && node bench/reconcile.mjs [lines] [recipients]`.
// Prints lines/s, peak RSS and RSS sampled through the run (flat = streaming works).
// Everything lives in a temp dir that is removed at the end.
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { LowdbStore } from '../dist/store/index.js';
import { reconcile } from '../dist/reconcile/run.js';
import { silentLogger } from '../dist/util/logger.js';

const LINES = Number(process.argv[2] ?? 1_000_000);
const RECIPIENTS = Number(process.argv[3] ?? 100_000);
const FAILED_SHARE = 0.2; // of recipients: last outcome a bounce (half of them flagged)
const T0 = Date.UTC(2024, 2, 3, 0, 0, 0);
const MB = (n) => `${(n / 1048576).toFixed(0)} MB`;

function queueId(i) {
  return 'Q' + i.toString(36).toUpperCase().padStart(15, '0');
}

/** 100k recipients, one message each; every fifth bounced (5.1.1 flags, 5.7.1 does not). */
async function seedStore(store) {
  for (let i = 0; i < RECIPIENTS; i++) {
    // Issued without waiting (lowdb applies them at once); a commit now and then bounds the waiters.
    if (i % 10_000 === 9_999) await store.durable();
    const rcpt = `user${i}@d${i % 997}.example`;
    const failed = i % 5 === 0;
    const flagged = failed && i % 10 === 0;
    const at = T0 + i * 10;
    const response = failed ? (flagged ? '550 5.1.1 User unknown' : '554 5.7.1 Rejected by policy') : '250 2.0.0 Ok: queued as ' + (0x100000 + i).toString(16).toUpperCase();
    store.putMessage({
      queueId: queueId(i), messageId: `m${i}@app.example`, from: 'app@example.com', user: null, clientIp: '192.0.2.5', size: 2000,
      receivedAt: at - 1000, nextAttemptAt: null, status: 'done',
      rcpts: [{ rcpt, status: failed ? 'bounced' : 'delivered', attempts: 1, lastCode: failed ? 550 : 250, lastEnhanced: null, lastResponse: response, lastMx: 'smarthost.example.net', updatedAt: at }],
    });
    store.putRecipient({
      email: rcpt, invalid: flagged, reason: failed ? (flagged ? 'userunknown' : 'rejected') : null, category: null,
      lastStatus: failed ? 'bounced' : 'delivered', lastEventAt: at, lastQueueId: queueId(i), lastResponse: response,
      consecutiveFailures: failed ? 1 : 0, attemptsSinceFlag: 0, flaggedAt: flagged ? at : null, deliveredCount: failed ? 0 : 1,
      failedCount: failed ? 1 : 0, suppressed: false, suppressedAt: null, suppressedReason: null, reconciledCount: 0,
    });
  }
}

function syslogTime(ms) {
  const d = new Date(ms);
  const p = (n) => String(n).padStart(2, '0');
  return `Mar ${String(d.getUTCDate()).padStart(2, ' ')} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

/**
 * Message lives of 4 lines (cleanup, qmgr from, delivery, removed) plus connect noise. Most are
 * unrelated traffic; every 8th life is one of our messages (sent, or bounced for some failures).
 */
async function writeLog(file) {
  const out = createWriteStream(file);
  let n = 0;
  let life = 0;
  let chunk = [];
  while (n < LINES) {
    const i = life % RECIPIENTS;
    const ours = life % 8 === 0;
    const k = ours ? (life / 8) % RECIPIENTS : i;
    const qid = (0x1000000 + life).toString(16).toUpperCase();
    const t = syslogTime(T0 + 3_600_000 + life * 5);
    const rcpt = ours ? `user${k}@d${k % 997}.example` : `someone${life}@elsewhere.example`;
    const mid = ours ? `m${k}@app.example` : `${life}.other@example.org`;
    const bounce = ours && k % 5 === 0 && k % 15 === 0;
    chunk.push(
      `${t} mx1 postfix/cleanup[2101]: ${qid}: message-id=<${mid}>`,
      `${t} mx1 postfix/qmgr[2002]: ${qid}: from=<app@example.com>, size=2048, nrcpt=1 (queue active)`,
      bounce
        ? `${t} mx1 postfix/smtp[2203]: ${qid}: to=<${rcpt}>, relay=mx.d.example[198.51.100.7]:25, delay=0.4, delays=0.1/0/0.1/0.2, dsn=5.7.1, status=bounced (host mx.d.example[198.51.100.7] said: 554 5.7.1 Rejected (in reply to end of DATA command))`
        : `${t} mx1 postfix/smtp[2203]: ${qid}: to=<${rcpt}>, relay=mx.d.example[198.51.100.7]:25, delay=0.4, delays=0.1/0/0.1/0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 4F${qid})`,
      `${t} mx1 postfix/qmgr[2002]: ${qid}: removed`,
    );
    n += 4;
    if (life % 50 === 0) {
      chunk.push(`${t} mx1 postfix/smtpd[2300]: connect from client.example.com[203.0.113.9]`);
      n++;
    }
    life++;
    if (chunk.length >= 20_000) {
      if (!out.write(chunk.join('\n') + '\n')) await once(out, 'drain');
      chunk = [];
    }
  }
  out.write(chunk.join('\n') + '\n');
  out.end();
  await once(out, 'finish');
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'rebound-bench-reconcile-'));
try {
  const store = new LowdbStore({
    dir: path.join(dir, 'store'), shards: 64, flushIntervalMs: 3_600_000, eventRetentionDays: 3650, logger: silentLogger(), clock: { now: () => Date.now() },
  });
  await store.open();
  let t = Date.now();
  await seedStore(store);
  console.log(`store: ${RECIPIENTS} recipients and messages in ${Date.now() - t} ms`);
  const file = path.join(dir, 'maillog');
  t = Date.now();
  await writeLog(file);
  console.log(`log: ${LINES} lines, ${MB((await stat(file)).size)}, written in ${Date.now() - t} ms`);

  global.gc?.();
  const base = process.memoryUsage().rss;
  let peak = base;
  const samples = [];
  const started = Date.now();
  const cpu0 = process.cpuUsage();
  const sampler = setInterval(() => {
    const rss = process.memoryUsage().rss;
    peak = Math.max(peak, rss);
    samples.push([Date.now() - started, rss]);
  }, 100);
  const result = await reconcile(store, [file], { utcOffsetMinutes: 0, referenceDate: new Date('2024-03-31T00:00:00Z') });
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  const secs = (Date.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSecs = (cpu.user + cpu.system) / 1e6;
  const f = result.files[0];
  console.log(`reconcile: ${f.lines} lines, ${f.records} records, ${f.malformed} malformed in ${secs.toFixed(2)} s = ${Math.round(f.lines / secs).toLocaleString('en-US')} lines/s`
    + ` (CPU ${cpuSecs.toFixed(2)} s = ${Math.round(f.lines / cpuSecs).toLocaleString('en-US')} lines per CPU second; load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores)`);
  console.log(`  candidates ${result.candidates}, matched ${result.matched}, mismatches ${result.mismatches}, confirmed ${result.confirmed}, unmatched ${result.unmatched}`);
  const step = Math.max(1, Math.floor(samples.length / 6));
  const points = samples.filter((_, i) => i % step === 0).map(([ms, rss]) => `${(ms / 1000).toFixed(1)}s ${MB(rss)}`);
  console.log(`  RSS before ${MB(base)}, peak ${MB(peak)}; during: ${points.join(', ')}`);
  await store.close();
} finally {
  await rm(dir, { recursive: true, force: true });
}
