import { expect, it } from 'vitest';
import { readLog } from '../../src/reconcile/index.js';

it('a missing log file is a clear error, not a crash of the process', async () => {
  const read = readLog('/nonexistent/maillog', {});
  await expect((async () => {
    for await (const _ of read) { /* nothing to read */ }
  })()).rejects.toThrow(/ENOENT/);
});
