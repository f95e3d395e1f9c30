// Hostile and broken input, first half: parseReport must never throw and must stay fast per message.
import { describe, expect, it } from 'vitest';
import { parseReport } from '../../src/returnpath/parse/index.js';
import { runFuzz } from './fuzz-harness.js';

describe('parseReport under hostile input (1/2)', () => {
  it('survives 5,000 mutated and garbage messages, each in bounded time', async () => {
    expect(await runFuzz(20240611, 5_000)).toBeLessThan(2000);
  }, 120_000);

  it('returns kind none for non-mail input', async () => {
    for (const raw of ['', '\0\0\0', 'x'.repeat(100), Buffer.alloc(10_000, 0xff)]) {
      const report = await parseReport(raw);
      expect(report.results).toEqual([]);
      expect(report.kind).toBe('none');
    }
  });
});
