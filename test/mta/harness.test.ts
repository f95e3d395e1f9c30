// The private MTA harness itself: real Postfix and Exim on loopback, each with its own config,
// queue/spool and log file, relaying to each other and bouncing to a capture sink.
import path from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, send, startRebound, tempDir, testConfig } from '../helpers/rebound.js';
import { prepareExim, startExim, type EximInstance } from '../helpers/mta/exim.js';
import { postfixSkip, startPostfix, type PostfixInstance } from '../helpers/mta/postfix.js';
import { prepareSendmail, startSendmail } from '../helpers/mta/sendmail.js';
import { startSink, type Sink } from '../helpers/mta/sink.js';

const { exim, skip: eximSkip } = await prepareExim();
const { sendmail, skip: sendmailSkip } = await prepareSendmail();

async function submit(port: number, from: string, to: string, subject = 'harness'): Promise<string> {
  const t = nodemailer.createTransport({ host: '127.0.0.1', port, ignoreTLS: true });
  try {
    const info = await t.sendMail({ envelope: { from, to: [to] }, from, to, subject, text: 'hello\n' });
    return info.response;
  } finally {
    t.close();
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(postfixSkip !== null || eximSkip !== null)(`private MTAs on loopback${postfixSkip ? ` (skipped: ${postfixSkip})` : eximSkip ? ` (skipped: ${eximSkip})` : ''}`, () => {
  let dir: string;
  let sink: Sink;
  let final: PostfixInstance;
  let relay: PostfixInstance;
  let hop: EximInstance;

  beforeAll(async () => {
    dir = tempDir('rebound-mta-');
    sink = await startSink();
    // final: a Postfix that holds mailboxes for b.test and knows one user.
    final = await startPostfix({
      dir: path.join(dir, 'final'), name: 'final',
      virtual: { domains: ['b.test'], mailboxes: ['known@b.test'] },
    });
    // relay: a Postfix smarthost sending b.test to final and bounces (rp.test) to the sink.
    relay = await startPostfix({
      dir: path.join(dir, 'relay'), name: 'relay',
      transport: { 'b.test': `smtp:[127.0.0.1]:${final.ports.smtp}`, 'rp.test': `smtp:[127.0.0.1]:${sink.port}` },
    });
    // hop: an Exim in front of the relay.
    hop = await startExim({ exim: exim!, dir: path.join(dir, 'exim'), name: 'exhop', routes: { 'b.test': `127.0.0.1:${relay.ports.smtp}`, 'rp.test': `127.0.0.1:${sink.port}` } });
  }, 60_000);

  afterAll(async () => {
    await hop?.stop();
    await relay?.stop();
    await final?.stop();
    await sink?.stop();
    if (dir) cleanup(dir);
  });

  it('each instance has its own ports, log file and running master', () => {
    const ports = new Set([final.ports.smtp, relay.ports.smtp, hop.ports.smtp, sink.port]);
    expect(ports.size).toBe(4);
    expect(final.log()).toMatch(/postfix-final\/master\[\d+\]: daemon started -- version 3\.\d+/);
    expect(relay.log()).toContain(`configuration ${relay.confDir}`);
    expect(hop.log()).toContain(`listening for SMTP on [127.0.0.1]:${hop.ports.smtp}`);
    expect(hop.version).toMatch(/^4\.\d+/);
    expect(alive(final.masterPid()!)).toBe(true);
    expect(alive(hop.pid)).toBe(true);
  });

  it('delivers through Exim -> Postfix -> Postfix and each hop logs its part', async () => {
    const resp = await submit(hop.ports.smtp, 'alice@rp.test', 'known@b.test', 'three hops');
    const eximId = /id=(\S+)/.exec(resp)![1]!;
    const delivered = await waitForLog(final, /postfix-final\/virtual\[\d+\]: (\w+): to=<known@b\.test>.*status=sent \(delivered to maildir\)/);
    // The hand-off id each hop got from the next one is in the previous hop's log.
    const relayLine = await waitForLog(relay, /postfix-relay\/smtp\[\d+\]: \w+: to=<known@b\.test>.*status=sent \(250 2\.0\.0 Ok: queued as (\w+)\)/);
    expect(relayLine[1]).toBe(delivered[1]);
    const eximLine = await waitForLog(hop, new RegExp(`${eximId} => known@b\\.test R=fixed_routes T=remote_smtp .*H=127\\.0\\.0\\.1 \\[127\\.0\\.0\\.1\\]:${relay.ports.smtp}.*C="250 2\\.0\\.0 Ok: (?:\\d+ bytes )?queued as (\\w+)"`));
    expect(relay.log()).toContain(`${eximLine[1]}: client=unknown[127.0.0.1]`);
  });

  it('a rejection at the final hop comes back as the relay\'s real DSN to the return path', async () => {
    await submit(relay.ports.smtp, 'bob@rp.test', 'nobody@b.test', 'unknown user');
    const dsn = await sink.waitFor((m) => m.to.includes('bob@rp.test'), 20_000);
    expect(dsn.from).toBe('');
    const text = dsn.raw.toString('utf8');
    expect(text).toMatch(/^Content-Type: multipart\/report; report-type=delivery-status;/m);
    expect(text).toContain('Final-Recipient: rfc822; nobody@b.test');
    expect(text).toContain('Status: 5.1.1');
    expect(text).toMatch(/Diagnostic-Code: smtp; 550 5\.1\.1 <nobody@b\.test>: Recipient address rejected:\s+User unknown in virtual mailbox table/);
    expect(final.log()).toMatch(/NOQUEUE: reject: RCPT from unknown\[127\.0\.0\.1\]: 550 5\.1\.1 <nobody@b\.test>/);
  });

  it('Exim writes its own bounce for a recipient the next hop refuses', async () => {
    await submit(hop.ports.smtp, 'carol@rp.test', 'ghost@b.test', 'via exim');
    // The relay accepts (it relays b.test); final refuses; the relay bounces to carol. Exim only relayed.
    const dsn = await sink.waitFor((m) => m.to.includes('carol@rp.test'), 20_000);
    expect(dsn.raw.toString('utf8')).toContain('Reporting-MTA: dns; relay.test');
  });

  it('Rebound delivers to a Postfix smarthost and each hop\'s log names the next hop\'s queue id', async () => {
    const d = tempDir('rebound-mta-rb-');
    const app = await startRebound(testConfig(path.join(d, 'data'), relay.ports.smtp, { returnPath: { port: 0 } }));
    try {
      await send(app.ports.submission, { from: 'frank@rp.test', to: 'Known@B.test', subject: 'from rebound' });
      // Postfix looks mailbox names up case-insensitively: the mixed-case address is delivered (the
      // local part keeps its case on the way; the domain may be lower-cased).
      const relayLine = await waitForLog(relay, /postfix-relay\/smtp\[\d+\]: \w+: to=<Known@[bB]\.test>.*status=sent \(250 2\.0\.0 Ok: queued as (\w+)\)/);
      await waitForLog(final, new RegExp(`postfix-final/virtual\\[\\d+\\]: ${relayLine[1]}: to=<Known@[bB]\\.test>.*status=sent \\(delivered to maildir\\)`));
      expect(relay.log()).toMatch(/postfix-relay\/cleanup\[\d+\]: \w+: message-id=<[^>]+>/);
    } finally {
      await app.stop();
      cleanup(d);
    }
  });

  it.skipIf(sendmailSkip !== null)(`Sendmail relays through its smart host and writes its own DSN${sendmailSkip ? ` (skipped: ${sendmailSkip})` : ''}`, async () => {
    const d = tempDir('rebound-mta-sm-');
    // Its smart host: a sink that refuses ghost@ at RCPT and takes everything else (DSNs included).
    const smart = await startSink({ onRcpt: (a) => (a.startsWith('ghost@') ? '550 5.1.1 <ghost@b.test>: no such user here' : null) });
    const sm = await startSendmail({ sendmail: sendmail!, dir: path.join(d, 'sm'), name: 'smhop', smartHost: `127.0.0.1:${smart.port}` });
    try {
      expect(sm.version).toMatch(/^8\.\d+/);
      await submit(sm.ports.smtp, 'dave@rp.test', 'known@b.test', 'via sendmail');
      const relayed = await smart.waitFor((m) => m.to.includes('known@b.test'), 20_000);
      expect(relayed.raw.toString('utf8')).toMatch(/by smhop\.test \(8\.\d+/);
      await submit(sm.ports.smtp, 'erin@rp.test', 'ghost@b.test', 'via sendmail');
      const dsn = (await smart.waitFor((m) => m.to.includes('erin@rp.test'), 20_000)).raw.toString('utf8');
      expect(dsn).toContain('----- The following addresses had permanent fatal errors -----');
      expect(dsn).toContain('Reporting-MTA: dns; smhop.test');
      expect(dsn).toMatch(/Diagnostic-Code: SMTP; 550 5\.1\.1 <ghost@b\.test>: no such user here/);
    } finally {
      await sm.stop();
      await smart.stop();
      cleanup(d);
    }
    expect(alive(sm.pid)).toBe(false);
  });

  it('stop() ends only the processes the instance started', async () => {
    const dir2 = tempDir('rebound-mta-stop-');
    try {
      const p = await startPostfix({ dir: path.join(dir2, 'p'), name: 'short' });
      const e = await startExim({ exim: exim!, dir: path.join(dir2, 'e'), name: 'short' });
      const pPid = p.masterPid()!;
      await p.stop();
      await e.stop();
      expect(alive(pPid)).toBe(false);
      expect(alive(e.pid)).toBe(false);
      // The other instances still run.
      expect(alive(final.masterPid()!)).toBe(true);
      expect(alive(hop.pid)).toBe(true);
    } finally {
      cleanup(dir2);
    }
  });
});

async function waitForLog(mta: { log(): string }, re: RegExp, timeoutMs = 20_000): Promise<RegExpExecArray> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const m = re.exec(mta.log());
    if (m) return m;
    if (Date.now() > end) throw new Error(`no log line matching ${re} within ${timeoutMs} ms:\n${mta.log().slice(-3_000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
