#!/usr/bin/env node
// Bounce parsing + classification: Rebound beside Debian's Sisimai (libsisimai-perl) on the same
// files in one run. Whole process (start-up included, as an operator runs it: `rebound parse
// --jsonl FILES` vs a Perl script calling Sisimai->make per file), alternating, median of N
// rounds; then Rebound in one process (per-message p50/p99/max).
// usage: node bench/parse.mjs [CORPUS_DIR] [--dir EXTRA_EML_DIR]... [--repeat N] [--rounds N] [--passes N]
//   (needs `npm run build`; `npm run bench:parse` does both)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const valued = new Set(['--dir', '--rounds', '--passes', '--repeat']);
const rounds = Number(opt('--rounds', 5));
// --repeat N lists every file N times: a larger batch, to see start-up cost apart from per-message cost.
const repeat = Number(opt('--repeat', 1));
const passes = Number(opt('--passes', 5));
const corpus = path.resolve(args.find((a, i) => !a.startsWith('--') && !valued.has(args[i - 1])) ?? path.join(repoRoot, '..', 'shared', 'corpus'));
const extraDirs = args.flatMap((a, i) => (a === '--dir' ? [path.resolve(args[i + 1])] : []));

const files = [];
if (existsSync(path.join(corpus, 'manifest.json'))) {
  for (const e of JSON.parse(readFileSync(path.join(corpus, 'manifest.json'), 'utf8'))) files.push(path.join(corpus, e.file));
}
for (const d of extraDirs) for (const f of readdirSync(d).sort()) if (/\.(eml|txt|msg)$/.test(f)) files.push(path.join(d, f));
if (repeat > 1) files.push(...Array.from({ length: repeat - 1 }, () => files.slice()).flat());
if (!files.length) {
  console.error(`no input: ${corpus}/manifest.json not found and no --dir given`);
  process.exit(2);
}
const bytes = files.reduce((n, f) => n + readFileSync(f).length, 0);
console.log(`input: ${files.length} messages, ${(bytes / 1024).toFixed(0)} KiB (${[corpus, ...extraDirs].map((d) => path.relative(repoRoot, d)).join(', ')})`);

const rebound = [path.join(repoRoot, 'dist', 'rebound.js'), 'parse', '--jsonl', ...files];
const sisimaiScript = path.join(repoRoot, 'bench', 'lib', 'sisimai-parse.pl');
const haveSisimai = spawnSync('perl', ['-MSisimai', '-e', '1']).status === 0;
if (!haveSisimai) console.log('Sisimai: not installed (apt-get install libsisimai-perl); Rebound only');

const TIME = '/usr/bin/time';
const haveTime = existsSync(TIME);
const cpuFile = path.join(tmpdir(), `rebound-bench-parse-${process.pid}.time`);

/** Wall time and CPU time (user + system, from /usr/bin/time) of one whole process, and its stdout. */
function timed(cmd, argv) {
  const t0 = performance.now();
  const out = haveTime
    ? execFileSync(TIME, ['-f', '%U %S', '-o', cpuFile, cmd, ...argv], { maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' })
    : execFileSync(cmd, argv, { maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' });
  const ms = performance.now() - t0;
  const cpu = haveTime ? readFileSync(cpuFile, 'utf8').trim().split(/\s+/).slice(-2).reduce((a, b) => a + Number(b) * 1000, 0) : NaN;
  return { ms, cpu, out };
}

const wall = { rebound: [], sisimai: [] };
const cpu = { rebound: [], sisimai: [] };
let reboundResults = 0;
let sisimai = { results: 0, ms: 0 };
const sisimaiParseMs = [];
for (let r = 0; r < rounds; r++) {
  const a = timed(process.execPath, rebound);
  wall.rebound.push(a.ms);
  cpu.rebound.push(a.cpu);
  reboundResults = a.out.split('\n').filter(Boolean).reduce((n, l) => n + JSON.parse(l).results.length, 0);
  if (haveSisimai) {
    const b = timed('perl', [sisimaiScript, ...files]);
    wall.sisimai.push(b.ms);
    cpu.sisimai.push(b.cpu);
    sisimai = JSON.parse(b.out);
    sisimaiParseMs.push(sisimai.ms);
  }
}
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const rate = (ms) => (files.length / (ms / 1000)).toFixed(0);
const rMs = median(wall.rebound);
const rCpu = median(cpu.rebound);
const cpuNote = (c) => (Number.isNaN(c) ? '' : `, CPU ${c.toFixed(0)} ms`);
console.log(`whole process, median of ${rounds} alternating rounds (wall time varies with machine load; CPU time less):`);
console.log(`  Rebound  (node dist/rebound.js parse --jsonl): ${rMs.toFixed(0)} ms = ${rate(rMs)} messages/s${cpuNote(rCpu)}, ${reboundResults} results`);
if (haveSisimai) {
  const sMs = median(wall.sisimai);
  const sCpu = median(cpu.sisimai);
  console.log(`  Sisimai  (perl, Sisimai->make per file):       ${sMs.toFixed(0)} ms = ${rate(sMs)} messages/s${cpuNote(sCpu)}, ${sisimai.results} results (${median(sisimaiParseMs).toFixed(0)} ms of it in Sisimai->make)`);
  console.log(`  Rebound / Sisimai speed: ${(sMs / rMs).toFixed(2)}x wall${Number.isNaN(rCpu) ? '' : `, ${(sCpu / rCpu).toFixed(2)}x CPU`}`);
}

rmSync(cpuFile, { force: true });

// In one process: steady-state parse + classify cost per message.
const { parseReport } = await import(path.join(repoRoot, 'dist', 'returnpath', 'parse', 'index.js'));
const mails = files.map((f) => readFileSync(f));
const t0 = performance.now();
for (const m of mails) await parseReport(m); // first pass: cold (JIT, lazy compilation)
const cold = performance.now() - t0;
const times = [];
const t1 = performance.now();
for (let p = 0; p < passes; p++) {
  for (const m of mails) {
    const s = performance.now();
    await parseReport(m);
    times.push(performance.now() - s);
  }
}
const inproc = (performance.now() - t1) / 1000;
times.sort((a, b) => a - b);
const q = (f) => times[Math.min(times.length - 1, Math.floor(f * times.length))].toFixed(2);
console.log(`Rebound in one process: first pass ${cold.toFixed(0)} ms; then ${(times.length / inproc).toFixed(0)} messages/s, ` +
  `${((bytes * passes) / 1048576 / inproc).toFixed(1)} MiB/s; ms/message p50 ${q(0.5)} p90 ${q(0.9)} p99 ${q(0.99)} max ${times[times.length - 1].toFixed(2)}`);
