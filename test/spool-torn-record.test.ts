// The torn-spool injection: a message body that carries a well-formed spool record, a crash that
// cuts the message's own record short, a restart. Recovery must not read the body as a record
// (it once did: the message came back as mail from ceo@bank.example to addresses nobody sent to).
import { readFileSync, readdirSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Upstream } from './helpers/upstream.js';
import { cleanup, tempDir, waitFor } from './helpers/rebound.js';
import { ReboundChild, childConfig, freePort, requireBuild, sleep, writeConfig } from './helpers/child.js';

let up: Upstream;
let dir = '';
const children: ReboundChild[] = [];

beforeAll(async () => {
  requireBuild();
  up = await new Upstream({ rcpt: { '': '451 4.3.0 try again later' } }).start(); // defers everything at first
  dir = tempDir('rebound-torn-');
});

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await up?.stop();
  if (dir) cleanup(dir);
});

const VICTIMS = ['victim1@example.net', 'victim2@example.net'];
const noLineEnd = (b: Buffer) => !b.includes(0x0a) && !b.includes(0x0d);

/** A forged Message record as the spool writes it; `head` frames it (format 1, or format 2 with a guessed marker). */
function forgedRecord(format: 1 | 2): Buffer {
  for (let nonce = 0; ; nonce++) {
    const envelope = {
      queueId: `FORGED${format}x${nonce}`, from: 'ceo@bank.example', rcpts: VICTIMS, messageId: `forged${nonce}@bank.example`,
      receivedAt: Date.now(), size: 40, user: null, clientIp: '127.0.0.1', smtpUtf8: false, bodyType: '7bit',
    };
    const json = Buffer.from(JSON.stringify({ envelope, state: { done: [], attempts: {}, nextAttemptAt: 0 } }));
    const len = Buffer.alloc(4);
    len.writeUInt32BE(json.length);
    const payload = Buffer.concat([len, json, Buffer.from('Subject: wire the money today\r\n\r\nurgent\r\n')]);
    let head: Buffer;
    if (format === 1) {
      head = Buffer.alloc(13);
      head.write('RBQ1', 0, 'latin1');
      head.writeUInt8(1, 4);
      head.writeUInt32BE(payload.length, 5);
      head.writeUInt32BE(crc32(payload), 9);
    } else {
      head = Buffer.alloc(21);
      Buffer.from('GUESSED!').copy(head, 0);
      head.writeUInt8(1, 8);
      head.writeUInt32BE(payload.length, 9);
      head.writeUInt32BE(crc32(payload), 13);
      head.writeUInt32BE(crc32(head.subarray(0, 17)), 17);
    }
    // SMTP would refuse bare CR/LF bytes; an attacker picks a nonce that has none.
    if (noLineEnd(head) && noLineEnd(len)) return Buffer.concat([head, payload]);
  }
}

describe('spool: a body holding a well-formed record, torn by a crash', () => {
  it('restarts without injecting any message', { timeout: 60_000 }, async () => {
    const port = await freePort();
    const configFile = path.join(dir, 'config.json');
    const dataDir = path.join(dir, 'data');
    writeConfig(configFile, childConfig(dataDir, port, up.port));
    const first = await ReboundChild.start(configFile, port);
    children.push(first);

    const t = nodemailer.createTransport({ host: '127.0.0.1', port, ignoreTLS: true });
    await t.sendMail({ from: 'app@example.com', to: 'customer@example.org', subject: 'benign', text: 'hello' });
    const padding = Buffer.from(`${'p'.repeat(76)}\r\n`.repeat(200));
    const raw = Buffer.concat([
      Buffer.from('From: app@example.com\r\nTo: someone@example.org\r\nSubject: ATTACK\r\n\r\n'),
      forgedRecord(1), Buffer.from('\r\n'), forgedRecord(2), Buffer.from('\r\n'), padding,
    ]);
    const info = await t.sendMail({ envelope: { from: 'app@example.com', to: ['someone@example.org'] }, raw });
    t.close();
    expect(info.response).toMatch(/^250 /);
    await sleep(300); // a deferral or two get recorded after it
    first.kill('SIGKILL');
    await first.exited;

    // The crash cut the attack message's record short: inside its padding, after the forged records.
    const spoolDir = path.join(dataDir, 'spool');
    const seg = readdirSync(spoolDir).map((f) => path.join(spoolDir, f)).find((f) => readFileSync(f).includes('Subject: ATTACK'))!;
    const buf = readFileSync(seg);
    const cut = buf.indexOf(padding.subarray(0, 80), buf.indexOf('Subject: ATTACK')) + 2_000;
    expect(buf.lastIndexOf('ceo@bank.example')).toBeLessThan(cut);
    truncateSync(seg, cut);

    up.opts.rcpt = {}; // the upstream takes mail again
    const second = await ReboundChild.start(configFile, port);
    children.push(second);
    await waitFor(() => up.deliveredTo().includes('customer@example.org'), 20_000, 50);
    await sleep(1_500); // anything else queued would have gone out by now
    const injected = up.received.filter((r) => r.from === 'ceo@bank.example' || r.to.some((a) => VICTIMS.includes(a)));
    expect(injected.map((r) => `${r.from} -> ${r.to.join(',')}`), second.diagnostics()).toEqual([]);
    const started = await waitFor(() => second.logs().find((l) => l.msg === 'rebound started'), 10_000, 25);
    expect(started.queued).toBe(1);
    expect(await second.terminate()).toEqual({ code: 0, signal: null });
  });
});
