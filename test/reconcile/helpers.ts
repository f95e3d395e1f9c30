import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { readLog, type LogEvidence, type ReadLogOptions, type ReadStats } from '../../src/reconcile/index.js';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/logs');

export function fixture(name: string): string {
  return join(FIXTURES, name);
}

/** A temp dir per test file, removed afterwards. */
export function tempDir(): () => Promise<string> {
  let dir: string | undefined;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  return async () => (dir ??= await mkdtemp(join(tmpdir(), 'rebound-reconcile-')));
}

export async function writeTemp(dir: string, name: string, content: string | Buffer): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, content);
  return file;
}

export async function collect(file: string, opts: ReadLogOptions = {}): Promise<{ records: LogEvidence[]; stats: ReadStats }> {
  const read = readLog(file, { utcOffsetMinutes: 0, ...opts });
  const records: LogEvidence[] = [];
  for await (const ev of read) records.push(ev);
  return { records, stats: read.stats };
}

/** The fields a test usually cares about (drops raw/file/line). */
export function brief(ev: LogEvidence): Partial<LogEvidence> {
  const { raw: _raw, file: _file, line: _line, format: _format, ...rest } = ev;
  return rest;
}
