#!/usr/bin/env node
// Score the built parser (dist/) against the shared bounce corpus.
// usage: node scripts/score-corpus.mjs [CORPUS_DIR] [--crlf] [--json OUT.json]   (e.g. fixtures/mta-corpus)
// Writes results.jsonl to a temp dir, then runs the corpus's own score.mjs on it.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..');
const args = process.argv.slice(2);
const crlf = args.includes('--crlf');
const jsonOut = args.includes('--json') ? args[args.indexOf('--json') + 1] : null;
const corpus = path.resolve(args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--json') ?? path.join(repoRoot, '..', 'shared', 'corpus'));

const { toJsonlLine } = await import(path.join(repoRoot, 'dist', 'returnpath', 'parse', 'index.js'));
const manifestPath = path.join(corpus, 'manifest.json');
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
const lines = [];
for (const entry of manifest) {
  let raw = readFileSync(path.join(corpus, entry.file));
  if (crlf) raw = Buffer.from(raw.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
  lines.push(JSON.stringify(await toJsonlLine(entry.file, raw)));
}
const dir = mkdtempSync(path.join(tmpdir(), 'rebound-score-'));
const results = path.join(dir, 'results.jsonl');
writeFileSync(results, lines.join('\n') + '\n');
console.log(`results: ${results}${crlf ? ' (CRLF copies)' : ''}`);
// A corpus without its own scorer (fixtures/mta-corpus) is scored with the shared corpus's score.mjs.
const scorer = [path.join(corpus, 'score.mjs'), path.join(repoRoot, '..', 'shared', 'corpus', 'score.mjs')].find((f) => existsSync(f));
if (!scorer) throw new Error(`no score.mjs in ${corpus} or ../shared/corpus`);
const scoreArgs = [scorer, manifestPath, results];
if (jsonOut) scoreArgs.push('--json', jsonOut);
process.stdout.write(execFileSync(process.execPath, scoreArgs, { encoding: 'utf8' }));
