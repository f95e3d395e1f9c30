// Agreement with the shared corpus's labels (Sisimai's expected results), LF and CRLF copies.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseReport, splitMbox } from '../../src/returnpath/parse/index.js';
import type { BounceRecord } from '../../src/returnpath/parse/index.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const corpus = path.resolve(repoRoot, '..', 'shared', 'corpus');

interface Expected { status: string; replycode: string; reason: string; hardbounce: boolean }
interface Entry { file: string; kind: string; expected: Expected[] }

async function parseFile(raw: Buffer): Promise<BounceRecord[]> {
  const out: BounceRecord[] = [];
  for (const one of splitMbox(raw)) out.push(...(await parseReport(one)).results);
  return out;
}

function toCrlf(raw: Buffer): Buffer {
  return Buffer.from(raw.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
}

const present = existsSync(path.join(corpus, 'manifest.json'));
const absent = `skipped: ${corpus}/manifest.json not found (the shared corpus lives beside the repository)`;
if (!present) console.warn(`bounce corpus tests ${absent}`);

/** Read when a test runs, not while collecting: without the corpus the suite must skip, not throw. */
let cached: Entry[] | undefined;
function loadManifest(): Entry[] {
  cached ??= JSON.parse(readFileSync(path.join(corpus, 'manifest.json'), 'utf8')) as Entry[];
  return cached;
}

describe.skipIf(!present)(present ? 'bounce corpus' : `bounce corpus (${absent})`, () => {

  for (const variant of ['LF', 'CRLF'] as const) {
    it(`agrees with the labels (${variant})`, async () => {
      const manifest = loadManifest();
      let labels = 0, reasonOk = 0, hardOk = 0;
      const falseHard: string[] = [];
      const notBounceWithResults: string[] = [];
      for (const e of manifest) {
        let raw: Buffer = readFileSync(path.join(corpus, e.file));
        if (variant === 'CRLF') raw = toCrlf(raw);
        const got = await parseFile(raw);
        if (e.expected.length === 0) {
          if (got.length) notBounceWithResults.push(e.file);
          continue;
        }
        e.expected.forEach((x, i) => {
          labels++;
          if (got[i]?.reason === x.reason) reasonOk++;
          if (got[i] !== undefined && got[i]!.hardbounce === x.hardbounce) hardOk++;
          if (got[i]?.hardbounce && !x.hardbounce) falseHard.push(`${e.file} #${i}`);
        });
      }
      expect(notBounceWithResults).toEqual([]);
      // A wrong invalid flag is the worst outcome: none on this sample.
      expect(falseHard).toEqual([]);
      expect(reasonOk / labels).toBeGreaterThanOrEqual(0.96);
      expect(hardOk / labels).toBeGreaterThanOrEqual(0.99);
    });
  }

  it('reads every file without an error and with bounded time', async () => {
    for (const e of loadManifest()) {
      const raw = readFileSync(path.join(corpus, e.file));
      const t0 = performance.now();
      const report = await parseReport(splitMbox(raw)[0]!);
      expect(performance.now() - t0).toBeLessThan(1000);
      expect(report.error).toBeUndefined();
    }
  });
});
