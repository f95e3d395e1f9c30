import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../util/logger.js';
import type { ParseResult } from './process.js';
import type { ParseReply, ParseRequest } from './parse-worker.js';

interface Job {
  id: number;
  raw: Buffer;
  resolve(r: ParseResult): void;
}

interface Slot {
  worker: Worker;
  /** The worker has loaded the parser. */
  ready: boolean;
  job: Job | null;
  timer: NodeJS.Timeout | null;
}

const unparsed = (why: string): ParseResult => ({ parsed: { kind: 'none', results: [], original: {}, error: why }, unparsedWhy: why });

/** Newest modification time of the .ts files under `dir` (recursively). */
function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * The worker's file. Built, it sits beside this module. When the TypeScript sources run (vitest),
 * threads cannot load them, so the build of the same file in dist/ runs, and it must not be
 * older than the parser sources or tests would silently run yesterday's parser.
 */
function workerFile(): URL {
  const here = new URL('./parse-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  const srcDir = path.dirname(fileURLToPath(import.meta.url));
  const built = path.resolve(srcDir, '../../dist/returnpath/parse-worker.js');
  if (!existsSync(built)) throw new Error(`report parser worker ${built} is missing: run \`npm run build\``);
  const sources = Math.max(newestSource(path.join(srcDir, 'parse')), newestSource(path.resolve(srcDir, '../classify')));
  if (statSync(built).mtimeMs < sources) throw new Error(`${built} is older than the parser sources: run \`npm run build\` (report parsing runs the build in worker threads)`);
  return pathToFileURL(built);
}

/**
 * Report parsing off the main event loop: up to `size` worker threads (started when reports come),
 * one report each at a time, with a time limit per report. A report that takes longer has its
 * thread terminated (a new one takes its place) and comes back as unparsed with the reason, so
 * no single report can stall the listeners.
 */
export class ParsePool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;
  private readonly file: URL;

  constructor(private readonly size: number, private readonly timeoutMs: number, private readonly logger: Logger) {
    this.file = workerFile();
  }

  private spawn(): Slot {
    // A report that makes the parser balloon ends its thread (ERR_WORKER_OUT_OF_MEMORY), not the server.
    const worker = new Worker(this.file, { resourceLimits: { maxOldGenerationSizeMb: 512 } });
    const slot: Slot = { worker, ready: false, job: null, timer: null };
    slot.worker.unref();
    slot.worker.on('message', (m: ParseReply) => {
      if ('ready' in m) {
        slot.ready = true;
        if (slot.job) this.startClock(slot);
        return;
      }
      const job = slot.job;
      if (!job || job.id !== m.id) return;
      this.finish(slot, 'parsed' in m ? { parsed: m.parsed } : unparsed(`the report could not be parsed: ${m.error}`));
    });
    slot.worker.on('error', (err) => {
      this.logger.error({ err: err.message }, 'return path: report parser thread failed; replacing it');
      this.replace(slot, `the report parser failed on it: ${err.message}`);
    });
    slot.worker.on('exit', () => {
      if (!this.closed && this.slots.includes(slot)) this.replace(slot, 'the report parser thread exited');
    });
    return slot;
  }

  /** Ends the slot's worker and answers its job (if any) with `why`; the next report starts a fresh worker. */
  private replace(slot: Slot, why: string): void {
    const i = this.slots.indexOf(slot);
    if (i === -1) return;
    this.slots.splice(i, 1);
    const job = slot.job;
    if (slot.timer) clearTimeout(slot.timer);
    slot.job = null;
    void slot.worker.terminate();
    job?.resolve(unparsed(why));
    if (!this.closed) this.dispatch();
  }

  private finish(slot: Slot, result: ParseResult): void {
    const job = slot.job!;
    if (slot.timer) clearTimeout(slot.timer);
    slot.job = null;
    slot.timer = null;
    job.resolve(result);
    this.dispatch();
  }

  private dispatch(): void {
    while (this.queue.length) {
      let slot = this.slots.find((s) => !s.job);
      if (!slot) {
        if (this.slots.length >= this.size) return;
        slot = this.spawn();
        this.slots.push(slot);
      }
      const job = this.queue.shift()!;
      slot.job = job;
      const copy = new Uint8Array(job.raw);
      slot.worker.postMessage({ id: job.id, raw: copy } satisfies ParseRequest, [copy.buffer]);
      if (slot.ready) this.startClock(slot);
    }
  }

  private startClock(slot: Slot): void {
    const job = slot.job!;
    slot.timer = setTimeout(() => {
      this.logger.warn({ bytes: job.raw.length, timeoutMs: this.timeoutMs }, 'return path: report parsing exceeded its time limit; kept raw, recorded as unparsed');
      this.replace(slot, `not parsed: parsing took longer than ${this.timeoutMs} ms (returnPath.parseTimeoutMs); the raw report is kept`);
    }, this.timeoutMs);
  }

  parse(raw: Buffer): Promise<ParseResult> {
    if (this.closed) return Promise.resolve(unparsed('the report parser is shut down'));
    return new Promise((resolve) => {
      this.queue.push({ id: this.nextId++, raw, resolve });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.resolve(unparsed('the report parser is shut down'));
    await Promise.all(this.slots.map(async (s) => {
      if (s.timer) clearTimeout(s.timer);
      s.job?.resolve(unparsed('the report parser is shut down'));
      s.job = null;
      await s.worker.terminate();
    }));
  }
}
