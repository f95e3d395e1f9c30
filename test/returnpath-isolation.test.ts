// One report must not stall the listeners: a pathological 400 KB report (a DragonFly bounce with
// 200,000 blank lines, which the DragonFly dialect once took 19 s over) goes to the return path while a
// concurrent submission client connects again and again; its greetings, and the event loop, stay
// prompt. A report over the parse time limit is kept raw, recorded as unparsed and answered 250.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Rebound } from '../src/main.js';
import type { RecipientEvent } from '../src/types.js';
import { Upstream } from './helpers/upstream.js';
import { allEvents, cleanup, startRebound, tempDir, testConfig } from './helpers/rebound.js';
import { requireBuild } from './helpers/child.js';
import { RawClient, type Reply } from './abuse/raw-smtp.js';

const DOMAIN = 'Bounces.Isolation.test';
const RETURN_PATH = { domain: DOMAIN, secret: 'isolation-secret-0123456789abcdef', port: 0, socketTimeoutMs: 30_000 };
// The time-limit test's server: far below what these reports take to parse (tens of ms each, now
// that the parser is linear), so the limit is what is tested, not how fast the parser happens to be.
const TIMEOUT_MS = 1;

let up: Upstream;
let app: Rebound;
let dir: string;

beforeAll(async () => {
  requireBuild(); // the parser threads run the build
  up = await new Upstream().start();
  dir = tempDir('rebound-isolation-');
  // The default parse limit: the pathological report is parsed whole, in a parser thread.
  app = await startRebound(testConfig(dir, up.port, { returnPath: RETURN_PATH }));
}, 30_000);

afterAll(async () => {
  await app?.stop(2_000);
  await up?.stop();
  if (dir) cleanup(dir);
});

const pathological = (tag: string) =>
  `From: MAILER-DAEMON@mx.Example.NET\r\nTo: <PostMaster@${DOMAIN}>\r\nSubject: Mail delivery failed\r\nMessage-ID: <${tag}@mx.example.net>\r\n\r\n` +
  `This is the DragonFly Mail Agent v0.13 at mx.example.net.\r\n\r\nThere was an error delivering your mail to <Some.One@Example.ORG>.\r\n` +
  '\r\n'.repeat(200_000) + 'end\r\n';

async function sendReport(body: string, port = app.ports.returnPath!): Promise<Reply | null> {
  const { client } = await RawClient.connect(port);
  try {
    for (const c of ['EHLO mx.example.net\r\n', 'MAIL FROM:<>\r\n', `RCPT TO:<PostMaster@${DOMAIN}>\r\n`, 'DATA\r\n']) {
      const r = await client.say(c);
      if (!r || r.code >= 400) return r;
    }
    await client.write(`${body}.\r\n`);
    return await client.reply(30_000);
  } finally {
    client.destroy();
  }
}

describe('return path: report parsing is isolated from the listeners', () => {
  it('keeps submission greetings and the event loop prompt while a pathological 400 KB report is parsed', { timeout: 60_000 }, async () => {
    const body = pathological(`patho-${Date.now()}`);
    expect(body.length).toBeGreaterThan(200_000);
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    const greetings: number[] = [];
    let done = false;
    const start = Date.now();
    const report = sendReport(body).finally(() => (done = true));
    // A submission client connecting again and again meanwhile, timing each greeting.
    while (!done || greetings.length < 5) {
      const t = Date.now();
      const { client, greeting } = await RawClient.connect(app.ports.submission, { timeoutMs: 20_000 });
      client.destroy();
      expect(greeting?.code).toBe(220);
      greetings.push(Date.now() - t);
      if (Date.now() - start > 40_000) break;
    }
    const answer = await report;
    loop.disable();
    const maxLoopMs = loop.max / 1e6;
    const slowest = Math.max(...greetings);
    console.log(`[isolation] report answered "${answer?.text}" after ${Date.now() - start} ms; ${greetings.length} greetings meanwhile, slowest ${slowest} ms (smtp-server waits 100 ms by design); event-loop delay max ${maxLoopMs.toFixed(1)} ms, p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms`);
    expect(answer?.code, answer?.text).toBe(250);
    // smtp-server's fixed 100 ms greeting delay plus a loaded machine's scheduling; a parse on
    // the main thread holds the loop for seconds.
    expect(slowest).toBeLessThan(600);
    expect(maxLoopMs).toBeLessThan(400);
  });

  it('keeps a report over the time limit raw, records it as unparsed with the reason, and answers 250', { timeout: 60_000 }, async () => {
    const limitedDir = tempDir('rebound-isolation-limit-');
    const limited = await startRebound(testConfig(limitedDir, up.port, { returnPath: { ...RETURN_PATH, parseTimeoutMs: TIMEOUT_MS } }));
    try {
      // Several at once: each holds a parser thread up to the limit; none may hold the others forever.
      const bodies = [0, 1, 2].map((i) => pathological(`slow-${i}-${Date.now()}`).replace('\r\nend\r\n', `\r\n${'\r\n'.repeat(300_000)}end ${i}\r\n`));
      const t = Date.now();
      const answers = await Promise.all(bodies.map((b) => sendReport(b, limited.ports.returnPath!)));
      const took = Date.now() - t;
      expect(answers.map((a) => a?.code)).toEqual([250, 250, 250]);
      const events = (await allEvents(limited.store)).filter((e): e is Extract<RecipientEvent, { type: 'report' }> => e.type === 'report');
      expect(events).toHaveLength(3);
      const unparsed = events.filter((e) => e.diagnostic.includes(`parsing took longer than ${TIMEOUT_MS} ms`));
      console.log(`[isolation] 3 x ${(bodies[0]!.length / 1024).toFixed(0)} KB reports answered in ${took} ms; ${unparsed.length} recorded as unparsed (over ${TIMEOUT_MS} ms)`);
      // Each hits the limit and is answered soon after it, not after its whole parse.
      expect(unparsed).toHaveLength(3);
      expect(took).toBeLessThan(3 * TIMEOUT_MS + 5_000);
      for (const e of unparsed) {
        expect(e.kind).toBe('none');
        const day = readdirSync(path.join(limitedDir, 'reports'))[0]!;
        const raw = readFileSync(path.join(limitedDir, 'reports', day, `${e.reportId}.eml`), 'latin1');
        expect(raw).toContain('DragonFly Mail Agent');
        const meta = JSON.parse(readFileSync(path.join(limitedDir, 'reports', day, `${e.reportId}.json`), 'utf8')) as { unparsedWhy?: string };
        expect(meta.unparsedWhy).toMatch(/returnPath\.parseTimeoutMs/);
      }
    } finally {
      await limited.stop(2_000);
      cleanup(limitedDir);
    }
  });
});
