#!/usr/bin/env node
// The `rebound` command. `rebound parse` is a batch tool that must start in milliseconds, so it
// loads only the parser (as one bundled file when the build made a current one); every other
// command loads the full CLI (server, store, HTTP ...).
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

type ParseCli = typeof import('./returnpath/parse/cli.js');

/** The bundle, unless it is missing or older than the modules it was made from (a tsc-only build). */
async function parserCli(): Promise<ParseCli> {
  const bundle = new URL('./parse-cli.bundle.mjs', import.meta.url);
  try {
    if (statSync(fileURLToPath(bundle)).mtimeMs >= statSync(fileURLToPath(new URL('./returnpath/parse/cli.js', import.meta.url))).mtimeMs) {
      return (await import(bundle.href)) as ParseCli;
    }
  } catch {
    // No bundle: the modules below.
  }
  return import('./returnpath/parse/cli.js');
}

if (process.argv[2] === 'parse' && process.argv.length > 3 && !process.argv.includes('--help') && !process.argv.includes('-h')) {
  const { runParseCommand } = await parserCli();
  const args = process.argv.slice(3);
  await runParseCommand(args.filter((a) => a !== '--jsonl'), { jsonl: args.includes('--jsonl') });
} else {
  await import('./cli.js');
}
