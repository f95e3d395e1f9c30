// Reconciliation on logs written by real mail servers. Rebound (smarthost mode) relays through a
// private Postfix smarthost to three next hops on loopback, each with its own config, queue and log:
//   final.test  a Postfix with virtual mailboxes (known@ exists; others refused at RCPT)
//   ex.test     an Exim that accepts gone@ and then fails it itself (** 550 5.1.1 mailbox gone)
//   liar.test   an Exim that stores the message and answers 550 (fakereject)
// Every server sends its own DSNs to the VERP return path; they are caught by a sink and handed to
// Rebound's return path by the test, so it can drive Rebound's clock between them.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, send, startRebound, tempDir, testConfig, waitFor } from '../helpers/rebound.js';
import { prepareExim, startExim, type EximInstance } from '../helpers/mta/exim.js';
import { postfixSkip, startPostfix, type PostfixInstance } from '../helpers/mta/postfix.js';
import { startSink, type Sink, type SunkMessage } from '../helpers/mta/sink.js';
import type { Rebound } from '../../src/main.js';
import { reconcile, type ReconcileResult } from '../../src/reconcile/run.js';
import { createLogger } from '../../src/util/logger.js';

const { exim, skip: eximSkip } = await prepareExim();
const skip = postfixSkip ?? eximSkip;
const RP = 'rp.test';

/** Hands a caught DSN to Rebound's return path as its server did (null sender, the VERP recipient). */
function deliverReport(port: number, m: SunkMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = new SMTPConnection({ host: '127.0.0.1', port, ignoreTLS: true, logger: false });
    c.on('error', reject);
    c.connect((err) => {
      if (err) return reject(err);
      c.send({ from: m.from || false, to: m.to }, m.raw, (e, info) => {
        c.quit();
        if (e) reject(e);
        else resolve(info!.response);
      });
    });
  });
}

/** A failure DSN about `rcpt` (Postfix writes "rfc822; addr", Exim "rfc822;addr"). */
const dsnFor = (rcpt: string) => (m: SunkMessage) => {
  const text = m.raw.toString('latin1');
  return m.from === '' && /^Action: failed/im.test(text) && text.includes(`Final-Recipient: rfc822;`) && new RegExp(`^Final-Recipient: rfc822; ?${rcpt.replace(/[.]/g, '\\.')}\\s*$`, 'im').test(text);
};

describe.skipIf(skip !== null)(`reconcile on real multi-hop logs${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let dir: string;
  let sink: Sink;
  let smart: PostfixInstance;
  let final: PostfixInstance;
  let exhop: EximInstance;
  let liar: EximInstance;
  let app: Rebound;
  let reboundLog: string;
  /** Rebound's clock runs this far ahead of the servers' (driven by the test). */
  let ahead = 0;
  const forwarded = new Set<SunkMessage>();

  /** Forwards every caught DSN not yet forwarded (except those `hold` says to keep back). */
  async function forward(hold: (m: SunkMessage) => boolean = () => false): Promise<number> {
    let n = 0;
    for (const m of [...sink.messages]) {
      if (forwarded.has(m) || hold(m)) continue;
      forwarded.add(m);
      expect(await deliverReport(app.ports.returnPath!, m)).toMatch(/^250/);
      n++;
    }
    return n;
  }

  beforeAll(async () => {
    dir = tempDir('rebound-chain-');
    sink = await startSink();
    const back = { [RP]: `smtp:[127.0.0.1]:${sink.port}` };
    final = await startPostfix({ dir: path.join(dir, 'final'), name: 'final', virtual: { domains: ['final.test'], mailboxes: ['known@final.test'] }, transport: back });
    const eximRoutes = { [RP]: `127.0.0.1:${sink.port}` };
    exhop = await startExim({
      exim: exim!, dir: path.join(dir, 'exhop'), name: 'exhop', localDomains: ['ex.test'], users: ['present'], routes: eximRoutes,
      // gone@ is accepted at RCPT, then its router fails it: Exim's own "**" and its own DSN.
      rcptAcl: '  accept  domains = +local_domains\n          local_parts = gone\n',
      routers: eximRouters(path.join(dir, 'exhop'), 'gone_user:\n  driver = redirect\n  domains = +local_domains\n  local_parts = gone\n  allow_fail\n  data = :fail: 550 5.1.1 mailbox gone\n'),
    });
    liar = await startExim({
      exim: exim!, dir: path.join(dir, 'liar'), name: 'liar', localDomains: ['liar.test'], users: ['kept'], routes: eximRoutes,
      // Answers 550 at end of DATA, and keeps (and delivers) the message all the same.
      dataAcl: '  accept  control = fakereject/5.1.1 <$recipients>: mailbox unavailable\n',
    });
    smart = await startPostfix({
      dir: path.join(dir, 'smart'), name: 'smart',
      main: { relay_domains: 'final.test, ex.test, liar.test' },
      transport: {
        'final.test': `smtp:[127.0.0.1]:${final.ports.smtp}`, 'ex.test': `smtp:[127.0.0.1]:${exhop.ports.smtp}`,
        'liar.test': `smtp:[127.0.0.1]:${liar.ports.smtp}`, ...back,
      },
    });
    reboundLog = path.join(dir, 'rebound.log');
    const logger = createLogger('info', pino.destination({ dest: reboundLog, sync: true }));
    app = await startRebound(testConfig(path.join(dir, 'rebound'), smart.ports.smtp, { returnPath: { domain: RP, port: 0 } }), {
      logger, clock: { now: () => Date.now() + ahead },
    });
  }, 120_000);

  afterAll(async () => {
    await app?.stop(2_000);
    for (const m of [smart, final, exhop, liar]) await m?.stop();
    await sink?.stop();
    if (dir) cleanup(dir);
  });

  const rec = async (email: string) => (await app.store.getRecipient(email));
  const clears = async (email: string) => (await app.store.eventsForRecipient(email)).filter((e) => e.type === 'clear').length;

  it('bounces confirmed by any hop survive each log alone and all together; the lying hop is found ten minutes late and blamed', async () => {
    const to = ['known@final.test', 'nobody@final.test', 'gone@ex.test', 'kept@liar.test'];
    for (const rcpt of to) await send(app.ports.submission, { to: rcpt, subject: `to ${rcpt}` });
    // Each server writes its own DSN: the smarthost for RCPT refusals (final's and the liar's 550), Exim for its **.
    const got = await Promise.all(['nobody@final.test', 'gone@ex.test', 'kept@liar.test'].map((r) => sink.waitFor(dsnFor(r), 30_000))).catch((e) => {
      if (process.env.DEBUG_CHAIN) {
        for (const m of sink.messages) console.log('SUNK', m.from, m.to, m.raw.toString('latin1').split(/\r?\n/).filter((l) => /^(Final-Recipient|Action|Status|Reporting-MTA|Diagnostic-Code|Subject)/.test(l)).join(' | '));
        console.log('SMART\n' + smart.log().split('\n').filter((l) => / to=| status=/.test(l)).join('\n'));
        console.log('LIAR\n' + liar.log().slice(-3000));
        console.log('EXHOP\n' + exhop.log().slice(-3000));
      }
      throw e;
    });
    expect(got[1]!.raw.toString('latin1')).toMatch(/Reporting-MTA: dns; exhop\.test/);
    // The liar told the smarthost 550 and delivered it: "(=" is Exim's arrival of a fake-rejected message.
    expect(liar.log()).toMatch(/ \(= b\+\S+@rp\.test .* for kept@liar\.test$/m);
    expect(liar.log()).toMatch(/ => kept <kept@liar\.test> R=local_user T=local_mailbox /);
    // The DSNs arrive now, except the liar's, which reaches Rebound ten minutes after the logged delivery.
    await forward((m) => m === got[2]);
    await waitFor(async () => (await rec('nobody@final.test'))?.invalid && (await rec('gone@ex.test'))?.invalid);
    ahead = 10 * 60_000;
    await forward();
    await waitFor(async () => (await rec('kept@liar.test'))?.invalid);
    expect((await rec('known@final.test'))?.invalid).toBe(false);

    const logs = { smart: smart.logPath, final: final.logPath, exhop: exhop.logPath, liar: liar.logPath, rebound: reboundLog };
    const opts = { utcOffsetMinutes: -new Date().getTimezoneOffset(), clock: { now: () => Date.now() + ahead } };
    const verdict = (r: ReconcileResult, rcpt: string) => r.matches.find((m) => m.rcpt === rcpt)?.verdict ?? null;
    // Each log alone (dry runs: judged, nothing written) and then every log together.
    for (const [name, file] of Object.entries(logs)) {
      const r = await reconcile(app.store, [file], { ...opts, dryRun: true });
      expect(r.files[0]!.malformed, name).toBe(0);
      expect(r.files[0]!.records, name).toBeGreaterThan(0);
      expect(verdict(r, 'nobody@final.test'), name).not.toBe('mismatch');
      expect(verdict(r, 'gone@ex.test'), name).not.toBe('mismatch');
      // Only the liar's own log shows the stored message.
      expect(verdict(r, 'kept@liar.test'), name).toBe(name === 'liar' ? 'mismatch' : name === 'smart' ? 'confirmed' : null);
    }
    const all = await reconcile(app.store, Object.values(logs), opts);
    expect(all.files.every((f) => f.malformed === 0 && !f.error)).toBe(true);
    expect(all.mismatches).toBe(1);
    const lie = all.matches.find((m) => m.verdict === 'mismatch')!;
    expect(lie).toMatchObject({ rcpt: 'kept@liar.test', flagCleared: true, evidence: { file: liar.logPath } });
    // Blamed on the server that answered 550 while keeping the message: the liar, at its own port.
    expect(lie.upstreamHost).toBe(`127.0.0.1[127.0.0.1]:${liar.ports.smtp}`);
    expect(all.byUpstream).toEqual({ [`127.0.0.1[127.0.0.1]:${liar.ports.smtp}`]: 1 });
    expect(all.matches.filter((m) => m.verdict === 'confirmed').map((m) => [m.rcpt, m.basis]).sort()).toEqual([
      ['gone@ex.test', 'final'], ['nobody@final.test', 'relayed'],
    ]);
    expect(await rec('kept@liar.test')).toMatchObject({ invalid: false, clearedBy: 'reconcile' });
    // Again, alone and together: nothing changes, and the true bounces were never cleared.
    for (const files of [Object.values(logs), [smart.logPath], [reboundLog], [exhop.logPath, smart.logPath]]) {
      expect(await reconcile(app.store, files, opts)).toMatchObject({ changed: 0 });
    }
    for (const r of ['nobody@final.test', 'gone@ex.test']) {
      expect(await rec(r)).toMatchObject({ invalid: true, reconciledCount: 0 });
      expect(await clears(r)).toBe(0);
    }
  }, 120_000);

  it('through the smarthost an address that keeps bouncing never shows a cleared flag between its bounces', async () => {
    const rcpt = 'gone@ex.test';
    expect((await rec(rcpt))?.invalid).toBe(true);
    const seen: boolean[] = [];
    const sampler = setInterval(async () => seen.push(!!(await rec(rcpt))?.invalid), 5);
    try {
      for (let i = 0; i < 3; i++) {
        const before = sink.messages.filter(dsnFor(rcpt)).length;
        await send(app.ports.submission, { to: rcpt, subject: `again ${i}` });
        await waitFor(() => sink.messages.filter(dsnFor(rcpt)).length > before, 30_000);
        await forward();
        // The smarthost's 250 was acceptance: the flag waited for this message's fate, which was a bounce.
        await waitFor(async () => (await rec(rcpt))?.awaiting === null && (await app.store.getMessage((await rec(rcpt))!.lastQueueId!))?.rcpts[0]?.status === 'bounced');
      }
    } finally {
      clearInterval(sampler);
    }
    expect(seen.length).toBeGreaterThan(50);
    expect(seen.every((v) => v)).toBe(true);
    expect(await clears(rcpt)).toBe(0);
    expect((await app.store.eventsForRecipient(rcpt)).filter((e) => e.type === 'flag')).toHaveLength(1);
  }, 120_000);

  it('a flag clears on the final hop success DSN that NOTIFY=SUCCESS asked for, not on the smarthost 250', async () => {
    const rcpt = 'later@final.test';
    await send(app.ports.submission, { to: rcpt, subject: 'before the mailbox exists' });
    await sink.waitFor(dsnFor(rcpt), 30_000);
    await forward();
    await waitFor(async () => (await rec(rcpt))?.invalid);
    // The mailbox is created; the next message is accepted by the smarthost and delivered by final.
    writeFileSync(path.join(final.confDir, 'vmailbox'), `known@final.test known.final.test/\n${rcpt} later.final.test/\n`);
    expect((await final.postfix(['reload'])).code).toBe(0);
    await new Promise((r) => setTimeout(r, 500));
    const before = sink.messages.length;
    await send(app.ports.submission, { to: rcpt, subject: 'after' });
    await waitFor(async () => (await rec(rcpt))?.awaiting);
    expect((await rec(rcpt))!.invalid).toBe(true);
    const success = await sink.waitFor((m) => sink.messages.indexOf(m) >= before && /^Action: delivered/im.test(m.raw.toString('latin1')), 30_000);
    expect(success.raw.toString('latin1')).toMatch(/Reporting-MTA: dns; final\.test/);
    await forward();
    await waitFor(async () => (await rec(rcpt))?.invalid === false);
    expect(await rec(rcpt)).toMatchObject({ clearedBy: 'success-dsn', awaiting: null });
  }, 120_000);
});

/** The harness's default Exim routers with one router placed before local delivery. */
function eximRouters(dir: string, extra: string): string {
  return `
fixed_routes:
  driver = manualroute
  domains = +route_domains
  route_data = \${lookup{$domain}lsearch{${path.join(dir, 'routes')}}}
  transport = remote_smtp
  self = send

${extra}
local_user:
  driver = accept
  domains = +local_domains
  local_parts = lsearch;${path.join(dir, 'users')}
  transport = local_mailbox
`;
}
