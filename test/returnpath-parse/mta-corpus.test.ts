// Agreement with the real-MTA corpus (fixtures/mta-corpus: bounces that private Postfix and Exim
// instances produced for failures constructed on purpose, so the truth is known), LF and CRLF.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseReport } from '../../src/returnpath/parse/index.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const corpus = path.join(repoRoot, 'fixtures', 'mta-corpus');
const present = existsSync(path.join(corpus, 'manifest.json'));
const absent = `skipped: ${path.relative(repoRoot, corpus)}/manifest.json not found`;
if (!present) console.warn(`real-MTA corpus tests ${absent}`);

interface Entry { file: string; expected: Array<{ reason: string; hardbounce: boolean }> }

describe.skipIf(!present)(present ? 'real-MTA corpus' : `real-MTA corpus (${absent})`, () => {
  for (const variant of ['LF', 'CRLF'] as const) {
    it(`agrees with the constructed truth (${variant}), never a false hard verdict`, async () => {
      const manifest = JSON.parse(readFileSync(path.join(corpus, 'manifest.json'), 'utf8')) as Entry[];
      let labels = 0, reasonOk = 0, hardOk = 0;
      const falseHard: string[] = [];
      for (const e of manifest) {
        let raw = readFileSync(path.join(corpus, e.file));
        if (variant === 'CRLF') raw = Buffer.from(raw.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
        const got = (await parseReport(raw)).results;
        e.expected.forEach((x, i) => {
          labels++;
          if (got[i]?.reason === x.reason) reasonOk++;
          if (got[i] && got[i]!.hardbounce === x.hardbounce) hardOk++;
          if (got[i]?.hardbounce && !x.hardbounce) falseHard.push(`${e.file} #${i}`);
        });
      }
      expect(falseHard).toEqual([]);
      expect(hardOk / labels).toBeGreaterThanOrEqual(0.97);
      expect(reasonOk / labels).toBeGreaterThanOrEqual(0.9);
    });
  }
});
