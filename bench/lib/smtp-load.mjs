// A cheap SMTP load client (the one bench/relay.mjs uses, shared): C persistent sessions, MAIL/RCPT/DATA
// pipelined in one write, the body once 354 arrives. Each message carries a unique X-Bench-Seq header.
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { percentile, round, sleep } from './util.mjs';

class Session {
  constructor(port) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.setNoDelay(true);
    this.buf = '';
    this.waiting = [];
    this.replies = [];
    this.error = null;
    this.socket.on('data', (d) => this.onData(d));
    this.socket.on('error', (e) => this.fail(e));
    this.socket.on('close', () => this.fail(new Error('connection closed by server')));
  }

  onData(d) {
    this.buf += d.toString('latin1');
    let i;
    while ((i = this.buf.indexOf('\r\n')) !== -1) {
      const line = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 2);
      if (line[3] === '-') continue;
      const r = { code: Number(line.slice(0, 3)), text: line };
      const w = this.waiting.shift();
      if (w) w.resolve(r);
      else this.replies.push(r);
    }
  }

  fail(err) {
    this.error ??= err;
    for (const w of this.waiting.splice(0)) w.reject(err);
  }

  reply() {
    if (this.replies.length) return Promise.resolve(this.replies.shift());
    if (this.error) return Promise.reject(this.error);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  async expect(code, what) {
    const r = await this.reply();
    if (r.code !== code) throw new Error(`${what}: expected ${code}, got "${r.text}"`);
    return r;
  }
}

export function makeBody(size) {
  const line = 'The quick brown fox jumps over the lazy dog; pack my box with five dozen jugs.\r\n';
  return Buffer.from(line.repeat(Math.max(1, Math.ceil((size - 300) / line.length))));
}

/**
 * Sends n messages over c sessions to 127.0.0.1:port. `rcpt(seq)` names each recipient.
 * Resolves { outcome, accepted, refused, firstRefusals, seconds, acceptedPerSec, latencyMs, t0 } (t0 = performance.now() at start).
 * `onProgress(accepted)` is called every 1000 accepted messages.
 */
export async function runLoad({ port, n, c = 20, size = 2_048, rcpt = (seq) => `user${seq % 1000}@example.org`, timeoutMs, onProgress }) {
  const BODY = makeBody(size);
  const DOT = Buffer.from('.\r\n');
  const header = (seq) => Buffer.from(
    `From: Bench <bench@example.com>\r\nTo: <${rcpt(seq)}>\r\nSubject: bench message ${seq}\r\n` +
      `Message-ID: <bench-${seq}-${process.pid}@example.com>\r\nDate: ${new Date().toUTCString()}\r\n` +
      `X-Bench-Seq: ${seq}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n`,
  );
  c = Math.min(c, n);
  const sessions = await Promise.all(Array.from({ length: c }, async () => {
    const s = new Session(port);
    await s.expect(220, 'greeting');
    s.socket.write('EHLO bench.example.com\r\n');
    await s.expect(250, 'EHLO');
    return s;
  }));
  const latencies = new Float64Array(n);
  let next = 0;
  let accepted = 0;
  let refused = 0;
  const firstRefusals = [];
  let stop = false;
  const t0 = performance.now();
  const loop = async (s) => {
    for (let seq = next++; seq < n && !stop; seq = next++) {
      s.socket.write(`MAIL FROM:<bench@example.com> SIZE=${size}\r\nRCPT TO:<${rcpt(seq)}>\r\nDATA\r\n`);
      await s.expect(250, 'MAIL');
      await s.expect(250, 'RCPT');
      await s.expect(354, 'DATA');
      s.socket.cork();
      s.socket.write(header(seq));
      s.socket.write(BODY);
      s.socket.write(DOT);
      const sent = performance.now();
      s.socket.uncork();
      const r = await s.reply();
      latencies[seq] = performance.now() - sent;
      if (r.code === 250) {
        accepted++;
        if (onProgress && accepted % 1000 === 0) onProgress(accepted);
      } else {
        refused++;
        latencies[seq] = NaN;
        if (firstRefusals.length < 5) firstRefusals.push(r.text);
      }
    }
    s.socket.end('QUIT\r\n');
  };
  let timer;
  const deadline = new Promise((r) => { timer = setTimeout(() => r('timeout'), timeoutMs); });
  let outcome;
  try {
    outcome = await Promise.race([Promise.all(sessions.map(loop)).then(() => 'ok'), deadline]);
  } catch (err) {
    outcome = `error: ${err.message}`;
  }
  clearTimeout(timer);
  stop = true;
  const seconds = (performance.now() - t0) / 1000;
  if (outcome !== 'ok') for (const s of sessions) s.socket.destroy();
  await sleep(0);
  const lat = Array.from(latencies.subarray(0, Math.min(next, n))).filter((x) => x > 0).sort((a, b) => a - b);
  return {
    outcome, accepted, refused, firstRefusals, t0, seconds: round(seconds, 2), messageBytes: header(0).length + BODY.length,
    acceptedPerSec: round(accepted / seconds, 0),
    latencyMs: { p50: round(percentile(lat, 50), 2), p90: round(percentile(lat, 90), 2), p99: round(percentile(lat, 99), 2), max: round(lat.at(-1), 2) },
  };
}
