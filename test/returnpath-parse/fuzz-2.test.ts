// Hostile and broken input, second half (another seed), so the two test workers share the 10,000 runs.
import { describe, expect, it } from 'vitest';
import { runFuzz } from './fuzz-harness.js';

describe('parseReport under hostile input (2/2)', () => {
  it('survives 5,000 more mutated and garbage messages, each in bounded time', async () => {
    expect(await runFuzz(19700101, 5_000)).toBeLessThan(2000);
  }, 120_000);
});
