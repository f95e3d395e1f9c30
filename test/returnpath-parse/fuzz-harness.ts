// Fuzz harness shared by fuzz*.test.ts (split in two files so the two workers share the load).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { classifyReply, parseReply } from '../../src/classify/index.js';
import { parseReport } from '../../src/returnpath/parse/index.js';
import { SAMPLES } from './samples.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const emlDir = path.resolve(repoRoot, '..', 'shared', 'corpus', 'eml');

/** Small deterministic PRNG (mulberry32) so failures reproduce. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}


function seeds(): Buffer[] {
  const files = existsSync(emlDir) ? readdirSync(emlDir).filter((f) => f.endsWith('.eml')).sort() : [];
  // Small seeds keep 10,000 runs quick; size-related hostility comes from the mutators.
  const picked = files.map((f) => readFileSync(path.join(emlDir, f))).filter((b) => b.length <= 6000).filter((_, i) => i % 2 === 0);
  const builtin = Object.values(SAMPLES).map((s) => Buffer.from(s));
  if (!picked.length) console.warn(`fuzz: ${emlDir} not found; seeding from the ${builtin.length} built-in samples only`);
  return [...picked, ...builtin];
}

type Mutator = (b: Buffer, r: () => number) => Buffer;
const pick = <T>(xs: readonly T[], r: () => number): T => xs[Math.floor(r() * xs.length)]!;

const MUTATORS: readonly Mutator[] = [
  // byte flips
  (b, r) => { const c = Buffer.from(b); for (let i = 0; i < 1 + r() * 20; i++) c[Math.floor(r() * c.length)] = Math.floor(r() * 256); return c; },
  // truncation
  (b, r) => b.subarray(0, Math.floor(r() * b.length)),
  // header duplication
  (b, r) => { const s = b.toString('latin1'); const end = s.indexOf('\n\n'); const head = s.slice(0, end < 0 ? 200 : end); return Buffer.from(head.repeat(2 + Math.floor(r() * 8)) + s.slice(end < 0 ? 0 : end), 'latin1'); },
  // huge line
  (b, r) => { const at = Math.floor(r() * b.length); return Buffer.concat([b.subarray(0, at), Buffer.alloc(10_000 + Math.floor(r() * 60_000), pick(['a', ' ', '-', '5', '@', '<'], r)), b.subarray(at)]); },
  // NUL bytes
  (b, r) => { const c = Buffer.from(b); for (let i = 0; i < 1 + r() * 50; i++) c[Math.floor(r() * c.length)] = 0; return c; },
  // random boundaries and nested multiparts
  (b, r) => { const s = b.toString('latin1'); const bd = `--${Math.floor(r() * 1e9).toString(36)}`; const at = Math.floor(r() * s.length); return Buffer.from(`${s.slice(0, at)}\n${bd}\nContent-Type: multipart/mixed; boundary="${bd.slice(2)}"\n\n${bd}\n${s.slice(at)}\n${bd}--\n`, 'latin1'); },
  // delete a random slice
  (b, r) => { const a = Math.floor(r() * b.length); const z = a + Math.floor(r() * 2000); return Buffer.concat([b.subarray(0, a), b.subarray(z)]); },
  // repeated DSN fields (many recipients)
  (b, r) => Buffer.concat([b, Buffer.from('\n' + 'Final-Recipient: rfc822; x@y.example\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 ' + 'user unknown '.repeat(Math.floor(r() * 50)) + '\n\n'.repeat(1).repeat(1 + Math.floor(r() * 200)))]),
  // CRLF / CR-only conversions
  (b, r) => Buffer.from(b.toString('latin1').replace(/\n/g, pick(['\r\n', '\r', '\n\r'], r)), 'latin1'),
];

function garbage(r: () => number): Buffer {
  const n = Math.floor(r() * 4096);
  const kind = Math.floor(r() * 3);
  if (kind === 0) return Buffer.from(Array.from({ length: n }, () => Math.floor(r() * 256)));
  if (kind === 1) return Buffer.from(Array.from({ length: n }, () => pick(['a', ':', '\n', ' ', '-', '=', '"', ';', '<', '>', '@', '5'], r)).join(''));
  return Buffer.from(`Content-Type: multipart/report; boundary="${'x'.repeat(Math.floor(r() * 500))}"\n\n` + '--x\n'.repeat(Math.floor(r() * 2000)));
}

/** Runs `count` mutated or garbage messages from a seeded stream; returns the slowest time in ms. */
export async function runFuzz(seed: number, count: number): Promise<number> {
  const r = rng(seed);
  const base = seeds();
  let slowest = 0;
  for (let i = 0; i < count; i++) {
    let input: Buffer;
    if (i % 10 === 9) input = garbage(r);
    else {
      input = pick(base, r);
      const rounds = 1 + Math.floor(r() * 2);
      for (let k = 0; k < rounds; k++) input = pick(MUTATORS, r)(input, r);
    }
    const t0 = performance.now();
    const report = await parseReport(i % 2 ? input : input.toString('latin1'));
    slowest = Math.max(slowest, performance.now() - t0);
    expect(Array.isArray(report.results)).toBe(true);
    for (const rec of report.results) {
      expect(typeof rec.reason).toBe('string');
      expect(rec.diagnostic.length).toBeLessThanOrEqual(1000);
      // Classification of whatever text came out must not throw either.
      classifyReply(parseReply(rec.diagnostic));
    }
    if (report.kind === 'none' && report.error) expect(report.error.length).toBeGreaterThan(0);
  }
  return slowest;
}
