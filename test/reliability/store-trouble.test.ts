// Store trouble at start-up: a truncated or otherwise damaged store file must stop
// `rebound start` with exit code 2 and the file's name on stderr (never a silent reset of the
// records), while a journal whose last line was torn by a crash is skipped with a warning and
// start-up proceeds with every record before it.
import { spawn } from 'node:child_process';
import { appendFileSync, cpSync, readFileSync, readdirSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Upstream } from '../helpers/upstream.js';
import { cleanup, tempDir, waitFor } from '../helpers/rebound.js';
import { CLI, ReboundChild, childConfig, cliJson, freePort, requireBuild, sleep, writeConfig } from '../helpers/child.js';
import type { RecipientRecord } from '../../src/types.js';
import { ENABLED, Load } from './helpers.js';
import { report } from './summary.js';

let up: Upstream;
let root = '';
let pristine = ''; // a data dir after a clean shutdown, copied for each damage
const children: ReboundChild[] = [];
const MESSAGES = 40;

beforeAll(async () => {
  if (!ENABLED) return;
  requireBuild();
  up = await new Upstream().start();
  root = tempDir('rebound-store-');
  pristine = path.join(root, 'pristine');
  const port = await freePort();
  const configFile = path.join(root, 'pristine.json');
  writeConfig(configFile, childConfig(pristine, port, up.port, { store: { shards: 4 } }));
  const child = await ReboundChild.start(configFile, port, 20_000);
  children.push(child);
  const res = await new Load(port, 0, { concurrency: 4, max: MESSAGES, to: (s) => `r${s % 8}@example.org` }).done;
  await waitFor(() => up.received.length >= res.acked.size, 20_000, 50);
  expect(await child.terminate()).toEqual({ code: 0, signal: null });
}, 60_000);

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await up?.stop();
  if (root) cleanup(root);
});

interface StartResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  stdout: string;
  started: boolean;
}

/** Runs `rebound start`; if it does start (which a damaged store must prevent), stops it. */
async function tryStart(configFile: string): Promise<StartResult> {
  const env = { ...process.env };
  delete env.NODE_ENV;
  const proc = spawn(process.execPath, [CLI, 'start', '--config', configFile], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  proc.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.once('exit', (code, signal) => r({ code, signal })));
  let started = false;
  const end = Date.now() + 20_000;
  while (proc.exitCode === null && proc.signalCode === null && Date.now() < end) {
    if (stdout.includes('"msg":"rebound started"')) {
      started = true;
      proc.kill('SIGTERM');
      break;
    }
    await sleep(25);
  }
  const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
  const exit = await exited;
  clearTimeout(timer);
  return { ...exit, stderr, stdout, started };
}

/** A copy of the pristine data dir and a config pointing at it. */
async function copy(name: string): Promise<{ dataDir: string; configFile: string; port: number }> {
  const dataDir = path.join(root, name);
  cpSync(pristine, dataDir, { recursive: true });
  const port = await freePort();
  const configFile = path.join(root, `${name}.json`);
  writeConfig(configFile, childConfig(dataDir, port, up.port, { store: { shards: 4 } }));
  return { dataDir, configFile, port };
}

/** The biggest shard file of a kind (the one with the most records to lose). */
function biggest(storeDir: string, prefix: 'messages' | 'recipients'): string {
  const files = readdirSync(storeDir).filter((f) => f.startsWith(`${prefix}-`) && f.endsWith('.json'));
  return path.join(storeDir, files.sort((a, b) => statSync(path.join(storeDir, b)).size - statSync(path.join(storeDir, a)).size)[0]!);
}

const DAMAGES: Array<{ name: string; damage(storeDir: string): string }> = [
  { name: 'messages shard truncated to half', damage: (d) => { const f = biggest(d, 'messages'); truncateSync(f, Math.floor(statSync(f).size / 2)); return f; } },
  { name: 'recipients shard truncated to 0 bytes', damage: (d) => { const f = biggest(d, 'recipients'); truncateSync(f, 0); return f; } },
  { name: 'messages shard overwritten with binary garbage', damage: (d) => { const f = biggest(d, 'messages'); writeFileSync(f, Buffer.from([0, 1, 2, 0xff, 0xfe, 0x7b, 0x22])); return f; } },
  { name: 'recipients shard valid JSON of the wrong shape (null)', damage: (d) => { const f = biggest(d, 'recipients'); writeFileSync(f, 'null'); return f; } },
  { name: 'messages shard valid JSON of the wrong shape ({"items":"x"})', damage: (d) => { const f = biggest(d, 'messages'); writeFileSync(f, '{"items":"x"}'); return f; } },
];

describe.skipIf(!ENABLED)('store trouble at start-up', () => {
  for (const d of DAMAGES) {
    it(`${d.name}: exit code 2, the file named on stderr, nothing reset`, async () => {
      const { dataDir, configFile } = await copy(d.name.replace(/\W+/g, '-'));
      const storeDir = path.join(dataDir, 'store');
      const file = d.damage(storeDir);
      const damaged = readFileSync(file);
      const r = await tryStart(configFile);
      report(`Store trouble, ${d.name}: \`rebound start\` ${r.started ? 'STARTED ANYWAY (silent reset)' : `exited ${r.code}`}; stderr: ${JSON.stringify(r.stderr.trim().slice(0, 160))}`);
      expect(r.started, `rebound started on a damaged store (${d.name})\n${r.stdout.slice(-1500)}`).toBe(false);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(file);
      // The damaged file is left as it was, for the operator to inspect or restore from .bak.
      expect(readFileSync(file).equals(damaged)).toBe(true);
    });
  }

  it('a journal whose last line was torn by a crash: skipped with a warning, start-up proceeds, records intact', async () => {
    const dir = path.join(root, 'torn');
    const port = await freePort();
    const configFile = path.join(root, 'torn.json');
    writeConfig(configFile, childConfig(dir, port, up.port, { store: { shards: 4 } }));
    const first = await ReboundChild.start(configFile, port, 20_000);
    children.push(first);
    const res = await new Load(port, 1_000, { concurrency: 4, max: 20, to: () => 'torn@example.org' }).done;
    expect(res.acked.size).toBe(20);
    // Delivered and recorded in the journal (flushed every 200 ms), but not yet compacted into shards.
    await waitFor(() => up.received.filter((m) => m.to.includes('torn@example.org')).length >= 20, 20_000, 50);
    await sleep(1_000);
    first.kill('SIGKILL');
    await first.exited;
    const storeDir = path.join(dir, 'store');
    const journals = readdirSync(storeDir).filter((f) => /^journal-\d+\.jsonl$/.test(f)).sort();
    const journal = path.join(storeDir, journals.at(-1)!);
    const lines = readFileSync(journal, 'utf8').split('\n').filter(Boolean).length;
    appendFileSync(journal, '{"c":"r","k":"torn@example.org","v":{"email":"torn@exa');
    const second = await ReboundChild.start(configFile, port, 20_000);
    children.push(second);
    // The port opens before the SIGTERM handler is installed: wait for the start-up line.
    await waitFor(() => second.stdout.includes('"msg":"rebound started"'), 20_000, 25);
    const warn = second.logs().find((l) => l.msg === 'store: skipped unreadable journal lines');
    expect(await second.terminate()).toEqual({ code: 0, signal: null });
    const status = await cliJson<{ record: RecipientRecord | null }>(['status', 'torn@example.org', '--json', '--config', configFile]);
    report(
      `Store trouble, torn last journal line (${journals.length} journal(s), ${lines} whole lines, then half a line): start-up proceeded ` +
        `with warning ${JSON.stringify(warn ? { msg: warn.msg, skipped: warn.skipped } : null)}; torn@example.org kept deliveredCount ${status.record?.deliveredCount ?? 'none'} of 20.`,
    );
    expect(warn, second.diagnostics()).toBeTruthy();
    expect(warn!.skipped).toBe(1);
    expect(status.record?.deliveredCount).toBe(20);
  });
});
