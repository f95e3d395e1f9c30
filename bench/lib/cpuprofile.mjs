#!/usr/bin/env node
// Top self-time functions of one or more .cpuprofile files (from node --cpu-prof, e.g. BENCH_PROF=DIR).
//   node bench/lib/cpuprofile.mjs DIR_OR_FILE... [--top 25]
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

export function summarize(files, top = 25) {
  const self = new Map();
  let total = 0;
  for (const f of files) {
    const p = JSON.parse(readFileSync(f, 'utf8'));
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const dt = new Map();
    for (let i = 0; i < p.samples.length; i++) dt.set(p.samples[i], (dt.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
    for (const [id, us] of dt) {
      const n = byId.get(id);
      const cf = n.callFrame;
      const url = cf.url ? cf.url.replace(/^file:\/\//, '').replace(/.*\/node_modules\//, 'node_modules/').replace(/.*\/dist\//, 'dist/') : '';
      const key = `${cf.functionName || '(anonymous)'} ${url ? `${url}:${cf.lineNumber + 1}` : ''}`.trim();
      self.set(key, (self.get(key) ?? 0) + us);
      total += us;
    }
  }
  const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  return { totalMs: total / 1000, rows: rows.map(([k, us]) => ({ fn: k, ms: Math.round(us / 1000), pct: Math.round((us / total) * 1000) / 10 })) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const ti = args.indexOf('--top');
  const top = ti !== -1 ? Number(args[ti + 1]) : 25;
  const files = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--top').flatMap((a) =>
    statSync(a).isDirectory() ? readdirSync(a).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(a, f)) : [a]);
  if (!files.length) {
    console.error('usage: node bench/lib/cpuprofile.mjs DIR_OR_FILE... [--top N]');
    process.exit(2);
  }
  const s = summarize(files, top);
  console.log(`${files.length} profile(s), ${Math.round(s.totalMs)} ms sampled; top self time:`);
  for (const r of s.rows) console.log(`${String(r.pct).padStart(5)}%  ${String(r.ms).padStart(6)} ms  ${r.fn}`);
}
