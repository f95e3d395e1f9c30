import { createReadStream, promises as fsp } from 'node:fs';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { StoreCorruptError } from './durable-json-file.js';

/** One journal line: a message (`m`) or recipient (`r`) record under key `k`, or its deletion. */
export interface JournalOp {
  c: 'm' | 'r';
  k: string;
  v?: unknown;
  d?: 1;
}

/** A journal that cannot be replayed, with advice naming files that exist. */
function damagedJournal(file: string, line: number, detail: string, goodBytes?: number): StoreCorruptError {
  const cut = goodBytes === undefined ? '' : `keep the ${line - 1} good lines before it with \`truncate -s ${goodBytes} ${file}\` (losing the changes after them), or `;
  return new StoreCorruptError(file, `journal line ${line} is damaged (${detail})`,
    `To recover: ${cut}move ${file} aside to start from the last snapshot (the messages-*.json and recipients-*.json files in ${path.dirname(file)}), losing the changes it holds since then.`);
}

/** Cuts the torn last line (a write a crash interrupted) off a journal. */
async function cutTornTail(file: string, line: number): Promise<void> {
  const h = await fsp.open(file, 'r+');
  try {
    const { size } = await h.stat();
    const tail = Buffer.alloc(Math.min(size, 8 * 1024 * 1024));
    await h.read(tail, 0, tail.length, size - tail.length);
    if (tail[tail.length - 1] === 0x0a) throw damagedJournal(file, line, 'a complete line, not a torn write');
    const nl = tail.lastIndexOf(0x0a);
    await h.truncate(nl === -1 ? size - tail.length : size - tail.length + nl + 1);
    await h.sync();
  } finally {
    await h.close();
  }
}

/**
 * The journal files of a store directory (`journal-NNNNNNNN.jsonl`, one generation per snapshot
 * interval): naming, replay in order, and removal of the ones a snapshot covers.
 */
export class JournalFiles {
  constructor(readonly dir: string) {}

  file(gen: number): string {
    return path.join(this.dir, `journal-${String(gen).padStart(8, '0')}.jsonl`);
  }

  async gens(): Promise<number[]> {
    const names = await fsp.readdir(this.dir).catch(() => [] as string[]);
    return names.map((n) => /^journal-(\d{8})\.jsonl$/.exec(n)).filter((m) => m).map((m) => Number(m![1])).sort((a, b) => a - b);
  }

  /**
   * Applies every journal, oldest first, line by line (the last line for a key wins). Only the
   * newest journal may end in a torn line (a crash mid-write): it is skipped, and cut off when
   * `cut` is set; any other unreadable line is damage and stops start-up.
   */
  async replay(apply: (op: JournalOp) => void, cut: boolean): Promise<{ lastGen: number; skipped: number }> {
    let skipped = 0;
    const gens = await this.gens();
    for (const gen of gens) {
      const file = this.file(gen);
      const rl = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
      let bad: { line: number; at: number } | null = null;
      let n = 0;
      let bytes = 0;
      for await (const line of rl) {
        n++;
        const at = bytes;
        bytes += Buffer.byteLength(line) + 1;
        if (!line) continue;
        if (bad !== null) throw damagedJournal(file, bad.line, 'not the last line', bad.at);
        let op: JournalOp;
        try {
          op = JSON.parse(line) as JournalOp;
        } catch {
          bad = { line: n, at };
          continue;
        }
        apply(op);
      }
      if (bad !== null) {
        if (gen !== gens[gens.length - 1]) throw damagedJournal(file, bad.line, 'in a journal that was closed cleanly', bad.at);
        if (cut) await cutTornTail(file, bad.line);
        skipped++;
      }
    }
    return { lastGen: gens.at(-1) ?? 0, skipped };
  }

  /** Deletes the journals up to and including `gen` (a snapshot holds their changes now). */
  async removeUpTo(gen: number): Promise<void> {
    for (const g of await this.gens()) if (g <= gen) await fsp.rm(this.file(g), { force: true });
  }
}
