#!/usr/bin/env node
// Does a flood of wrong API tokens slow down mail submission? Time-to-250 of sequential SMTP
// messages (fsync on), quiet and while C HTTP connections send random bearer tokens, from one
// client address and from C loopback addresses (127.0.0.2...). The configured token is an scrypt
// hash, the expensive case.
// usage: node bench/token-flood.mjs [--messages N] [--connections C]   (needs `npm run build` first)
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startRebound } from './lib/rebound.mjs';
import { runLoad } from './lib/smtp-load.mjs';
import { BENCH_DIR, freePort, numArg, REPO_ROOT, requireBuild, sleep, stopChild } from './lib/util.mjs';

requireBuild();
const N = numArg('messages', 'BENCH_MESSAGES', 150);
const C = numArg('connections', 'BENCH_CONNECTIONS', 16);
const { hashPassword } = await import(path.join(REPO_ROOT, 'dist', 'util', 'password.js'));

const dir = mkdtempSync(path.join(os.tmpdir(), 'rebound-bench-flood-'));
const sink = fork(path.join(BENCH_DIR, 'sink.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const sinkPort = await new Promise((resolve) => sink.on('message', (m) => m.type === 'ready' && resolve(m.port)));
const httpPort = await freePort();
const rebound = await startRebound({ dir, smarthostPort: sinkPort, overrides: { http: { port: httpPort, tokens: [await hashPassword('the-real-token')] } } });

/** C loops, each sending wrong tokens back to back on its own keep-alive connection, until stopped. */
function flood(addresses) {
  let stop = false;
  const answers = new Map();
  const loops = addresses.map(async (localAddress) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1, localAddress });
    while (!stop) {
      const status = await new Promise((resolve) => {
        const req = http.get({ host: '127.0.0.1', port: httpPort, path: '/api/messages', agent, headers: { authorization: `Bearer ${randomBytes(24).toString('base64url')}` } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode));
        });
        req.on('error', () => resolve('error'));
      });
      answers.set(status, (answers.get(status) ?? 0) + 1);
    }
    agent.destroy();
  });
  return { answers, end: async () => { stop = true; await Promise.all(loops); } };
}

async function measure(label, addresses) {
  const f = addresses ? flood(addresses) : null;
  if (f) await sleep(500);
  const r = await runLoad({ port: rebound.port, n: N, c: 1, timeoutMs: 120_000 });
  await f?.end();
  const answers = f ? Object.fromEntries(f.answers) : {};
  console.log(`${label.padEnd(34)} time-to-250 p50 ${String(r.latencyMs.p50).padStart(7)} ms  p90 ${String(r.latencyMs.p90).padStart(7)} ms  max ${String(r.latencyMs.max).padStart(7)} ms  HTTP answers ${JSON.stringify(answers)}`);
}

try {
  console.log(`${N} sequential messages per run; ${C} flooding connections; node ${process.version}, ${os.cpus().length} cores`);
  await measure('quiet', null);
  await measure(`${C} connections, one address`, Array.from({ length: C }, () => '127.0.0.1'));
  await measure(`${C} connections, ${C} addresses`, Array.from({ length: C }, (_, i) => `127.0.0.${i + 2}`));
  await measure('quiet again', null);
} finally {
  await rebound.stop();
  sink.connected && sink.send({ type: 'exit' });
  await stopChild(sink, 2_000);
  rmSync(dir, { recursive: true, force: true });
}
