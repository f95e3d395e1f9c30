import { readFileSync } from 'node:fs';
import { toJsonlLine } from './jsonl.js';

/**
 * `rebound parse FILE...`: what each bounce / complaint / auto-reply file says, one JSON line per
 * file with --jsonl (the corpus scorer's format), else a short human listing.
 */
export async function runParseCommand(files: string[], opts: { jsonl?: boolean | undefined } = {}): Promise<void> {
  const out: string[] = [];
  for (const f of files) {
    // Synchronous reads: a batch tool with nothing else to do; async reads of many small files
    // spend most of their time waiting for the thread pool.
    const line = await toJsonlLine(f, readFileSync(f));
    if (opts.jsonl) out.push(JSON.stringify(line));
    else {
      out.push(`${f}: ${line.results.length ? '' : 'not a bounce'}${line.error ? ` (${line.error})` : ''}`);
      for (const r of line.results) out.push(`  ${r.rcpt || '-'}  ${r.reason}  ${r.status || '-'} ${r.replycode || ''}  ${r.category}${r.hardbounce ? '  HARD' : ''}  [${r.decodedby}]  ${r.diagnostic.slice(0, 120)}`);
    }
    // Written in batches: one write per file costs more than the parse on small bounces.
    if (out.length >= 256) process.stdout.write(out.splice(0).join('\n') + '\n');
  }
  if (out.length) process.stdout.write(out.join('\n') + '\n');
}
