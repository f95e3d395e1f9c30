#!/usr/bin/env node
// Parse + classify throughput over the shared corpus, in one process.
// usage: node bench/parse.mjs [CORPUS_DIR] [--passes N]   (needs `npx tsc -p .` first)
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const passes = args.includes('--passes') ? Number(args[args.indexOf('--passes') + 1]) : 5;
const corpus = path.resolve(args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--passes') ?? path.join(repoRoot, '..', 'shared', 'corpus'));
const { parseReport } = await import(path.join(repoRoot, 'dist', 'returnpath', 'parse', 'index.js'));

const manifest = JSON.parse(readFileSync(path.join(corpus, 'manifest.json'), 'utf8'));
const mails = manifest.map((e) => readFileSync(path.join(corpus, e.file)));
const bytes = mails.reduce((n, b) => n + b.length, 0);

for (const m of mails) await parseReport(m); // warm-up: JIT, lazy regex compilation
const times = [];
const t0 = performance.now();
for (let p = 0; p < passes; p++) {
  for (const m of mails) {
    const s = performance.now();
    await parseReport(m);
    times.push(performance.now() - s);
  }
}
const wall = (performance.now() - t0) / 1000;
times.sort((a, b) => a - b);
const q = (f) => times[Math.min(times.length - 1, Math.floor(f * times.length))].toFixed(2);
console.log(`corpus: ${mails.length} messages, ${(bytes / 1024).toFixed(0)} KiB; ${passes} passes after warm-up`);
console.log(`throughput: ${(times.length / wall).toFixed(0)} messages/s, ${((bytes * passes) / 1048576 / wall).toFixed(1)} MiB/s`);
console.log(`ms/message: p50 ${q(0.5)}  p90 ${q(0.9)}  p99 ${q(0.99)}  max ${times[times.length - 1].toFixed(2)}`);
