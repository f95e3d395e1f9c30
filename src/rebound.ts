#!/usr/bin/env node
// The `rebound` command. `rebound parse` is a batch tool that must start in milliseconds, so it
// loads only the parser; every other command loads the full CLI (server, store, HTTP ...).
if (process.argv[2] === 'parse' && process.argv.length > 3 && !process.argv.includes('--help') && !process.argv.includes('-h')) {
  const { runParseCommand } = await import('./returnpath/parse/cli.js');
  const args = process.argv.slice(3);
  await runParseCommand(args.filter((a) => a !== '--jsonl'), { jsonl: args.includes('--jsonl') });
} else {
  await import('./cli.js');
}
