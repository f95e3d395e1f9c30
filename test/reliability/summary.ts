// The lines each reliability test reports, collected into one markdown block the lead can paste
// into the README "Reliability" section. Tests append with `report()`; the global teardown prints.
import { appendFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const SUMMARY_FILE = process.env.REBOUND_RELIABILITY_SUMMARY ?? path.join(os.tmpdir(), 'rebound-reliability-summary.md');

/** Prints a result line and keeps it for the summary. */
export function report(line: string): void {
  console.log(`[reliability] ${line}`);
  appendFileSync(SUMMARY_FILE, `- ${line}\n`);
}

// vitest globalSetup: start empty, print the collected block at the end.
export function setup(): void {
  rmSync(SUMMARY_FILE, { force: true });
}

export function teardown(): void {
  if (!existsSync(SUMMARY_FILE)) return;
  const body = readFileSync(SUMMARY_FILE, 'utf8');
  const text = `\n### Reliability (npm run test:reliability, ${new Date().toISOString().slice(0, 10)})\n\n${body}`;
  process.stdout.write(text + `\n(also in ${SUMMARY_FILE})\n`);
}
