#!/usr/bin/env node
// Scores the built parser (dist/) on a corpus split by family into a development part and a
// validation part (held out from tuning), LF and CRLF, with false hard verdicts counted.
// usage: node scripts/score-split.mjs [CORPUS_DIR] [--fold N] [--folds K] [--crlf] [--families] [--misses] [--json OUT]
//   --fold N (0..K-1) picks which K-th of the families is the validation part (rotate it);
//   --fold all scores the whole corpus as one part.
import { readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const valued = new Set(['--fold', '--folds', '--json']);
const corpus = path.resolve(args.find((a, i) => !a.startsWith('--') && !valued.has(args[i - 1])) ?? path.join(repoRoot, '..', 'shared', 'corpus'));
const folds = Number(opt('--folds', 3));
const fold = opt('--fold', '0');
const { toJsonlLine } = await import(path.join(repoRoot, 'dist', 'returnpath', 'parse', 'index.js'));

const manifest = JSON.parse(readFileSync(path.join(corpus, 'manifest.json'), 'utf8'));
const familyOf = (e) => e.family ?? e.lhost ?? e.rhost ?? e.kind;
/** Stable family -> fold assignment (a hash, so adding files never reshuffles families). */
const foldOf = (family) => createHash('sha1').update(family).digest()[0] % folds;
const partOf = (e) => (fold === 'all' ? 'all' : foldOf(familyOf(e)) === Number(fold) ? 'validation' : 'development');

function newTally() {
  return { files: 0, filesOk: 0, recipients: 0, reason: 0, hard: 0, falseHard: 0, missedHard: 0, none: 0, extra: 0, notBounce: 0, notBounceOk: 0 };
}

async function score(crlf) {
  const parts = {};
  const families = {};
  const confusion = {};
  const misses = [];
  for (const e of manifest) {
    let raw = readFileSync(path.join(corpus, e.file));
    if (crlf) raw = Buffer.from(raw.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
    const got = (await toJsonlLine(e.file, raw)).results;
    const part = (parts[partOf(e)] ??= newTally());
    const fam = (families[familyOf(e)] ??= { ...newTally(), part: partOf(e) });
    for (const t of [part, fam]) {
      t.files++;
      if (!e.expected.length) {
        t.notBounce++;
        if (!got.length) { t.notBounceOk++; t.filesOk++; }
        continue;
      }
      let ok = got.length === e.expected.length;
      e.expected.forEach((x, i) => {
        const g = got[i];
        t.recipients++;
        if (!g) { t.none++; ok = false; }
        if (g?.reason === x.reason) t.reason++; else ok = false;
        if (g && g.hardbounce === x.hardbounce) t.hard++;
        if (g?.hardbounce && !x.hardbounce) t.falseHard++;
        if (x.hardbounce && !g?.hardbounce) t.missedHard++;
      });
      if (got.length > e.expected.length) t.extra += got.length - e.expected.length;
      if (ok) t.filesOk++;
    }
    e.expected.forEach((x, i) => {
      const g = got[i];
      if (g?.reason === x.reason && g.hardbounce === x.hardbounce) return;
      const k = `${x.reason} -> ${g?.reason ?? '(none)'}`;
      confusion[k] = (confusion[k] ?? 0) + 1;
      misses.push(`${partOf(e).slice(0, 3)} ${e.file} #${i}: ${k}${g?.hardbounce && !x.hardbounce ? ' FALSE-HARD' : ''} | ${(g?.diagnostic ?? '').slice(0, 160)}`);
    });
  }
  return { parts, families, confusion, misses };
}

const pct = (a, b) => (b ? ((100 * a) / b).toFixed(1) + '%' : 'n/a');
const line = (name, t) =>
  `${name.padEnd(12)} files ${String(t.files).padStart(4)} (${pct(t.filesOk, t.files).padStart(6)} exact)  recipients ${String(t.recipients).padStart(4)}  ` +
  `reason ${pct(t.reason, t.recipients).padStart(6)}  hard/soft ${pct(t.hard, t.recipients).padStart(6)}  ` +
  `false hard ${t.falseHard} (${pct(t.falseHard, t.recipients)})  missed hard ${t.missedHard}  no result ${t.none}  extra ${t.extra}` +
  (t.notBounce ? `  not-bounce ok ${t.notBounceOk}/${t.notBounce}` : '');

const out = {};
for (const crlf of args.includes('--crlf') ? [false, true] : [false]) {
  const r = await score(crlf);
  const label = crlf ? 'CRLF' : 'LF';
  out[label] = r;
  console.log(`== ${path.basename(path.dirname(corpus))}/${path.basename(corpus)} (${label}); fold ${fold} of ${folds} by family`);
  for (const [name, t] of Object.entries(r.parts).sort()) console.log(line(name, t));
  const top = Object.entries(r.confusion).sort((a, b) => b[1] - a[1]).slice(0, 12);
  if (top.length) console.log('confusions: ' + top.map(([k, v]) => `${k} x${v}`).join('; '));
  if (args.includes('--families')) {
    for (const [name, t] of Object.entries(r.families).sort((a, b) => b[1].files - a[1].files)) {
      console.log(`  ${line(name, t)}  [${t.part.slice(0, 3)}]`);
    }
  }
  if (args.includes('--misses')) for (const m of r.misses) console.log('  ' + m);
}
const jsonOut = opt('--json');
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(out, null, 1) + '\n');
