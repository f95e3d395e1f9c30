#!/usr/bin/env node
// Bundles the built parser CLI (dist/returnpath/parse/cli.js and its ~80 modules) into one file,
// dist/parse-cli.bundle.mjs, so `rebound parse` does not spend ~40 ms of CPU resolving and
// loading modules at every start (Node 20 has no compile cache). Run by `npm run build`.
import { statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const out = path.join(dist, 'parse-cli.bundle.mjs');
await build({
  input: path.join(dist, 'returnpath', 'parse', 'cli.js'),
  platform: 'node',
  logLevel: 'warn',
  output: { file: out, format: 'esm' },
});
console.log(`bundled ${path.relative(process.cwd(), out)} (${(statSync(out).size / 1024).toFixed(0)} KiB)`);
