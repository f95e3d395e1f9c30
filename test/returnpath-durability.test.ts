// The return path's 250 comes only after the raw report is synced to disk and the store's
// durable() covering its effects resolved (spied on: the real fsyncs and the real durable(),
// each held back a little, so a missing or un-awaited sync shows as a 250 that came first).
// Also: a retransmitted report is recorded once; report files are 0600 under umask 000; the
// per-client byte rate and the archive budget answer 4xx.
import { promises as fsp, readdirSync, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arf } from '../src/sandbox/reports.js';
import type { Rebound } from '../src/main.js';
import type { RecipientEvent } from '../src/types.js';
import { Upstream, type Received } from './helpers/upstream.js';
import { cleanup, send, startRebound, tempDir, testConfig, waitFor } from './helpers/rebound.js';
import { RawClient, type Reply } from './abuse/raw-smtp.js';

const DOMAIN = 'Bounces.Durable.test';
const SECRET = 'durable-test-secret-0123456789abcdef';
const HOLD_MS = 150;

interface Rig {
  up: Upstream;
  app: Rebound;
  dir: string;
}

async function rig(returnPath: Record<string, unknown> = {}): Promise<Rig> {
  const up = await new Upstream().start();
  const dir = tempDir('rebound-rp-durable-');
  const app = await startRebound(testConfig(dir, up.port, {
    returnPath: { domain: DOMAIN, secret: SECRET, port: 0, ...returnPath },
    store: { flushIntervalMs: 600_000 },
  }));
  return { up, app, dir };
}

async function unrig(r: Rig | undefined): Promise<void> {
  if (!r) return;
  await r.app.stop(2_000);
  await r.up.stop();
  cleanup(r.dir);
}

/** Sends a message to `rcpt` through submission and returns what the upstream received (with its VERP sender). */
async function delivered(r: Rig, rcpt: string): Promise<Received> {
  await send(r.app.ports.submission, { from: 'News@Shop.Example', to: rcpt, subject: `to ${rcpt}` });
  return waitFor(() => r.up.received.find((m) => m.to.some((t) => t.toLowerCase() === rcpt.toLowerCase())), 10_000);
}

function complaintFor(m: Received, pad = 0): string {
  const raw = m.raw.toString('latin1');
  const headers = raw.slice(0, raw.indexOf('\r\n\r\n') + 2);
  const report = arf({ envelopeFrom: m.from, rcpt: m.to[0]!, headers, messageId: null, subject: 'complaint' }, 'fbl.example', '192.0.2.7');
  return pad ? report.replace('A recipient marked it as spam.', `A recipient marked it as spam.\r\n${'padding line\r\n'.repeat(Math.ceil(pad / 14))}`) : report;
}

/** One report transaction on a fresh connection; returns the reply to the end of DATA (or the first refusal). */
async function deliverReport(port: number, rcpt: string, report: string, opts: { localAddress?: string; onReply?: () => void } = {}): Promise<Reply | null> {
  const { client } = await RawClient.connect(port, opts.localAddress ? { localAddress: opts.localAddress } : {});
  try {
    for (const c of ['EHLO fbl.example\r\n', 'MAIL FROM:<>\r\n', `RCPT TO:<${rcpt}>\r\n`, 'DATA\r\n']) {
      const r = await client.say(c);
      if (!r || r.code >= 400) return r;
    }
    await client.write(`${report}\r\n.\r\n`);
    const answer = await client.reply(10_000);
    opts.onReply?.();
    return answer;
  } finally {
    client.destroy();
  }
}

describe('return path: the 250 of a report comes after its sync', () => {
  let r: Rig;
  beforeAll(async () => {
    r = await rig();
  }, 30_000);
  afterAll(() => unrig(r));

  it('sends the 250 only after the archive files are fsynced and durable() covering the suppression resolved', async () => {
    const m = await delivered(r, 'Spied.On@Example.ORG');
    const rcpt = m.to[0]!;
    const seq: string[] = [];
    const probe = await fsp.open(path.join(r.dir), 'r');
    const FileHandle = Object.getPrototypeOf(probe) as { sync(): Promise<void>; datasync(): Promise<void> };
    await probe.close();
    const realSync = FileHandle.sync;
    const reportsDir = path.join(r.dir, 'reports');
    FileHandle.sync = async function sync(this: { fd: number }) {
      const file = readlinkSync(`/proc/self/fd/${this.fd}`);
      if (!file.startsWith(reportsDir)) return realSync.call(this);
      // Held back: a 250 that does not wait for this sync arrives before it is recorded.
      await new Promise((res) => setTimeout(res, HOLD_MS));
      await realSync.call(this);
      seq.push(`synced ${path.extname(file) || 'dir'}`);
    };
    const store = r.app.store;
    const realDurable = store.durable.bind(store);
    store.durable = async () => {
      seq.push(`durable called, suppressed in memory=${!!(await store.getRecipient(rcpt))?.suppressed}`);
      await realDurable();
      await new Promise((res) => setTimeout(res, HOLD_MS));
      seq.push('durable resolved');
    };
    try {
      const answer = await deliverReport(r.app.ports.returnPath!, m.from, complaintFor(m), { onReply: () => seq.push('250 received') });
      expect(answer?.code, answer?.text).toBe(250);
    } finally {
      FileHandle.sync = realSync;
      store.durable = realDurable;
    }
    // Each step must have happened (a missing sync is not "before" anything), in this order.
    const before = (a: string, b: string) => {
      expect(seq, `missing "${a}"`).toContain(a);
      expect(seq, `missing "${b}"`).toContain(b);
      expect(seq.indexOf(a), `"${a}" not before "${b}": ${JSON.stringify(seq)}`).toBeLessThan(seq.indexOf(b));
    };
    before('synced .eml', '250 received');
    before('synced .json', '250 received');
    before('synced dir', '250 received');
    before('synced .json', 'durable called, suppressed in memory=true');
    before('durable resolved', '250 received');
    expect((await store.getRecipient(rcpt))?.suppressed).toBe(true);
  });

  it('records a report retransmitted with the same Message-ID and envelope once, and answers both 250', async () => {
    const m = await delivered(r, 'Twice.Told@Example.ORG');
    const report = complaintFor(m);
    const first = await deliverReport(r.app.ports.returnPath!, m.from, report);
    const second = await deliverReport(r.app.ports.returnPath!, m.from, report);
    expect(first?.code).toBe(250);
    expect(second?.code).toBe(250);
    const id = (x: Reply | null) => /report ([0-9a-f-]{36})/.exec(x?.text ?? '')?.[1];
    expect(id(second)).toBe(id(first));
    const reports = (await r.app.store.eventsForRecipient(m.to[0]!)).filter((e): e is Extract<RecipientEvent, { type: 'report' }> => e.type === 'report');
    expect(reports).toHaveLength(1);
    // The same complaint about another envelope recipient is a different report.
    const other = await deliverReport(r.app.ports.returnPath!, `PostMaster@${DOMAIN}`, report);
    expect(id(other)).not.toBe(id(first));
  });
});

describe('return path: report files under umask 000', () => {
  let r: Rig;
  let umask: number;
  beforeAll(async () => {
    umask = process.umask(0);
    r = await rig();
  }, 30_000);
  afterAll(async () => {
    process.umask(umask);
    await unrig(r);
  });

  it('writes raw reports 0600 in 0700 folders', async () => {
    const m = await delivered(r, 'Private.Reader@Example.ORG');
    expect((await deliverReport(r.app.ports.returnPath!, m.from, complaintFor(m)))?.code).toBe(250);
    const root = path.join(r.dir, 'reports');
    expect(statSync(root).mode & 0o777).toBe(0o700);
    const days = readdirSync(root);
    expect(days.length).toBeGreaterThan(0);
    for (const d of days) {
      expect(statSync(path.join(root, d)).mode & 0o777, d).toBe(0o700);
      const files = readdirSync(path.join(root, d));
      expect(files.some((f) => f.endsWith('.eml'))).toBe(true);
      for (const f of files) expect(statSync(path.join(root, d, f)).mode & 0o777, f).toBe(0o600);
    }
  });
});

describe('return path: storage budgets', () => {
  let r: Rig;
  const RATE = 40_000;
  beforeAll(async () => {
    r = await rig({ clientBytesPerMinute: RATE, archiveMaxBytes: 150_000, maxMessageBytes: 30_000 });
  }, 30_000);
  afterAll(() => unrig(r));

  it('refuses a client past its per-minute byte rate with 451 4.7.1, while another client still gets in', async () => {
    const m = await delivered(r, 'Rate.Limited@Example.ORG');
    const answers: Array<number | undefined> = [];
    for (let i = 0; i < 3; i++) answers.push((await deliverReport(r.app.ports.returnPath!, m.from, complaintFor(m, 15_000).replace('Version: 1', `Version: 1\r\nX-Try: ${i}`), { localAddress: '127.0.0.2' }))?.code);
    expect(answers).toEqual([250, 250, 451]);
    // Over the rate, the next transaction is refused at MAIL FROM already (no 9 MB upload first).
    const { client } = await RawClient.connect(r.app.ports.returnPath!, { localAddress: '127.0.0.2' });
    await client.say('EHLO fbl.example\r\n');
    const mail = await client.say('MAIL FROM:<>\r\n');
    client.destroy();
    expect(mail?.text).toMatch(/^451 4\.7\.1/);
    expect((await deliverReport(r.app.ports.returnPath!, m.from, complaintFor(m, 15_000), { localAddress: '127.0.0.3' }))?.code).toBe(250);
  });

  it('refuses reports with 452 4.3.1 once the archive holds archiveMaxBytes', async () => {
    const m = await delivered(r, 'Archive.Full@Example.ORG');
    const codes: Array<number | undefined> = [];
    // From fresh client addresses each time, so only the archive budget can refuse.
    for (let i = 0; i < 8; i++) {
      codes.push((await deliverReport(r.app.ports.returnPath!, m.from, complaintFor(m, 25_000).replace('Version: 1', `Version: 1\r\nX-Try: ${i}`), { localAddress: `127.0.1.${i + 1}` }))?.code);
    }
    expect(codes.slice(0, 2)).toEqual([250, 250]);
    expect(codes.at(-1)).toBe(452);
    expect(codes.filter((c) => c !== 250 && c !== 452)).toEqual([]);
  });
});

describe('return path: the per-client byte rate', () => {
  it('keys IPv6 clients by /64 and IPv4-mapped ones as IPv4, and forgets bytes after the window', async () => {
    const { ClientByteRate } = await import('../src/returnpath/client-rate.js');
    let now = 1_000_000;
    const rate = new ClientByteRate(100, 60_000, { now: () => now });
    rate.record('2001:db8:1:2::1', 80);
    expect(rate.allows('2001:db8:1:2:ffff::9', 30), 'another address of the same /64').toBe(false);
    expect(rate.allows('2001:db8:1:3::1', 30), 'the next /64').toBe(true);
    rate.record('::ffff:192.0.2.1', 90);
    expect(rate.allows('192.0.2.1', 20)).toBe(false);
    now += 60_001;
    expect(rate.allows('2001:db8:1:2::1', 100)).toBe(true);
    expect(rate.allows('192.0.2.1', 100)).toBe(true);
  });
});

describe('return path: a store that cannot make reports durable', () => {
  let r: Rig;
  beforeAll(async () => {
    r = await rig({ durableWaitMs: 400 });
  }, 30_000);
  afterAll(() => unrig(r));

  it('answers 451 4.3.0 after durableWaitMs, and the retransmission after the store recovers is recorded once', async () => {
    const m = await delivered(r, 'Disk.Full@Example.ORG');
    const report = complaintFor(m);
    const store = r.app.store;
    const realDurable = store.durable.bind(store);
    let release!: () => void;
    const gate = new Promise<void>((res) => (release = res));
    // The disk is "full": nothing becomes durable until the gate opens.
    store.durable = async () => {
      await gate;
      await realDurable();
    };
    try {
      const first = await deliverReport(r.app.ports.returnPath!, m.from, report);
      expect(first?.text).toMatch(/^451 4\.3\.0/);
      const again = await deliverReport(r.app.ports.returnPath!, m.from, report);
      expect(again?.text).toMatch(/^451 4\.3\.0/);
    } finally {
      release();
      store.durable = realDurable;
    }
    const later = await deliverReport(r.app.ports.returnPath!, m.from, report);
    expect(later?.text).toMatch(/^250 2\.0\.0 Ok: report [0-9a-f-]{36} \(already recorded\)/);
    const reports = (await store.eventsForRecipient(m.to[0]!)).filter((e) => e.type === 'report');
    expect(reports).toHaveLength(1);
    expect((await store.getRecipient(m.to[0]!))?.suppressed).toBe(true);
  });
});
