// Pathological whitespace and repetition inside every reader family: each message must be read in
// bounded time. The bound is generous for a loaded 2-core machine, yet the quadratic patterns this
// replaced (a `\n\s*` split, `^\s*>>>` with the m flag) took 2-13 s on 100 KB of blank lines.
import { describe, expect, it } from 'vitest';
import { parseReport } from '../../src/returnpath/parse/index.js';
import { SAMPLES } from './samples.js';

const BOUND_MS = 1500;
const SIZE = 100_000;
const FILLS: Record<string, string> = {
  'blank lines': '\n', 'space lines': ' \n', tabs: '\t', 'mixed whitespace': ' \t\n\n ', '>>> prompts': '>>> ',
  '<<< replies': '<<< 550 ', addresses: 'a@b.example ', 'dash rules': '---\n', 'dotted codes': '5.5.', 'reply codes': '550 ',
  'header lines': 'a: b\n', 'recipient lines': '<a@b.example>:\n', 'command words': 'in reply to ', quotes: '"<',
};

/** A sample with `fill` repeated to SIZE characters after its first paragraph. */
function inflate(sample: string, fill: string): string {
  const at = sample.indexOf('\n\n') + 2;
  const cut = sample.indexOf('\n\n', at) + 1 || at;
  return sample.slice(0, cut) + fill.repeat(Math.ceil(SIZE / fill.length)).slice(0, SIZE) + sample.slice(cut);
}

describe('parseReport on pathological input', () => {
  it(`reads ${Object.keys(SAMPLES).length} formats x ${Object.keys(FILLS).length} fills of ${SIZE / 1000} KB each within ${BOUND_MS} ms`, async () => {
    const slow: string[] = [];
    for (const [format, sample] of Object.entries(SAMPLES)) {
      for (const [name, fill] of Object.entries(FILLS)) {
        const t0 = performance.now();
        const r = await parseReport(inflate(sample, fill));
        const ms = performance.now() - t0;
        expect(Array.isArray(r.results)).toBe(true);
        if (ms > BOUND_MS) slow.push(`${format} / ${name}: ${ms.toFixed(0)} ms`);
      }
    }
    expect(slow).toEqual([]);
  }, 300_000);

  it('survives a megabyte line, deep nesting and thousands of parts', async () => {
    const cases = {
      'one 1 MB line': `From: MAILER-DAEMON@x.example\nSubject: Undelivered Mail\n\n${'x'.repeat(1 << 20)}\n`,
      '1 MB of blank lines': `From: MAILER-DAEMON@x.example\nSubject: Undelivered Mail\n\n${'\n'.repeat(1 << 20)}`,
      '500 nested multiparts': 'Content-Type: multipart/mixed; boundary="b0"\n\n' +
        Array.from({ length: 500 }, (_, i) => `--b${i}\nContent-Type: multipart/mixed; boundary="b${i + 1}"\n\n`).join(''),
      '20,000 empty parts': 'Content-Type: multipart/report; boundary="x"\n\n' + '--x\n\n'.repeat(20_000),
      '5,000 header lines': 'X-A: b\n'.repeat(5_000) + '\nbody\n',
      '2,000 recipients': SAMPLES.dsn!.replace('Reporting-MTA: dns; relay.example\n', 'Reporting-MTA: dns; relay.example\n' +
        Array.from({ length: 2_000 }, (_, i) => `\nFinal-Recipient: rfc822; u${i}@dest.example\nAction: failed\nStatus: 5.1.1\n`).join('')),
    };
    for (const [name, raw] of Object.entries(cases)) {
      const t0 = performance.now();
      const r = await parseReport(raw);
      expect(performance.now() - t0, name).toBeLessThan(BOUND_MS);
      expect(r.results.length, name).toBeLessThanOrEqual(1000);
    }
  }, 120_000);
});
