// Shared pieces of the reliability tests: a bounded load generator with sequence numbers, the
// upstream's view of what arrived, and /proc readings of a child Rebound.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { Upstream } from '../helpers/upstream.js';
import type { RecipientEvent } from '../../src/types.js';

/** Set by vitest.reliability.config.ts; these tests are skipped in the normal `npm test`. */
export const ENABLED = process.env.REBOUND_RELIABILITY === '1';

export const SEQ_RE = /^X-Test-Seq: (\d+)\r?$/im;

/** How many times the upstream received each sequence number. */
export function receivedCounts(up: Upstream): Map<number, number> {
  const counts = new Map<number, number>();
  for (const r of up.received) {
    const m = SEQ_RE.exec(r.raw.toString('latin1'));
    if (m) counts.set(Number(m[1]), (counts.get(Number(m[1])) ?? 0) + 1);
  }
  return counts;
}

const TICK_MS = 1000 / 100; // CLK_TCK is 100 on Linux

/** User + system CPU time of a process so far, in ms (from /proc/<pid>/stat). */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

/** Resident set size of a process, in MiB (from /proc/<pid>/status). */
export function rssMiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round((Number(m[1]) / 1024) * 10) / 10 : NaN;
}

export interface LoadResult {
  acked: Set<number>;
  refused: number;
  failed: number;
  lastError: string;
  /** Refusals by reply code and enhanced status ("452 4.3.1"). */
  codes: Map<string, number>;
}

/**
 * Sends messages numbered from `firstSeq` over `concurrency` pooled connections until `stop()` is
 * called, `max` messages were tried, or `maxMs` passed. A message counts as acknowledged only on a 250.
 */
export class Load {
  readonly result: LoadResult = { acked: new Set(), refused: 0, failed: 0, lastError: '', codes: new Map() };
  private stopped = false;
  next: number;
  readonly done: Promise<LoadResult>;

  constructor(
    port: number,
    firstSeq: number,
    opts: { concurrency?: number; max?: number; maxMs?: number; to?: (seq: number) => string; size?: number; onAck?: (seq: number) => void } = {},
  ) {
    this.next = firstSeq;
    const concurrency = opts.concurrency ?? 8;
    const max = opts.max ?? 1_000;
    const end = Date.now() + (opts.maxMs ?? 60_000);
    const transport = nodemailer.createTransport({
      host: '127.0.0.1', port, pool: true, maxConnections: concurrency, maxMessages: Infinity, ignoreTLS: true,
      connectionTimeout: 2_000, greetingTimeout: 2_000, socketTimeout: 5_000,
    });
    const body = 'x'.repeat(opts.size ?? 500);
    const worker = async () => {
      while (!this.stopped && this.next < firstSeq + max && Date.now() < end) {
        const seq = this.next++;
        try {
          const info = await transport.sendMail({
            from: 'load@example.com', to: opts.to ? opts.to(seq) : `rcpt${seq % 13}@example.org`, subject: `load ${seq}`,
            headers: { 'X-Test-Seq': String(seq) }, text: `message ${seq}\n${body}`,
          });
          if (/^250 /.test(info.response)) {
            this.result.acked.add(seq);
            opts.onAck?.(seq);
          }
        } catch (err) {
          const e = err as { responseCode?: number; response?: string; message: string };
          if (e.responseCode && e.responseCode >= 400) {
            this.result.refused++;
            const key = /^\d{3} \d\.\d{1,3}\.\d{1,3}/.exec(e.response ?? '')?.[0] ?? String(e.responseCode);
            this.result.codes.set(key, (this.result.codes.get(key) ?? 0) + 1);
          }
          else this.result.failed++;
          this.result.lastError = e.message;
          // Connection refused while the server is down: do not spin.
          if (!e.responseCode) await new Promise((r) => setTimeout(r, 20));
        }
      }
    };
    this.done = Promise.all(Array.from({ length: concurrency }, worker)).then(() => {
      transport.close();
      return this.result;
    });
  }

  stop(): Promise<LoadResult> {
    this.stopped = true;
    return this.done;
  }
}

/** Waits until the upstream has been quiet for `quietMs` (bounded), so duplicate counts are complete. */
export async function settle(up: Upstream, quietMs = 1_000, maxMs = 10_000): Promise<void> {
  for (let n = -1, end = Date.now() + maxMs; n !== up.received.length && Date.now() < end; ) {
    n = up.received.length;
    await new Promise((r) => setTimeout(r, quietMs));
  }
}

export function describeDuplicates(counts: Map<number, number>): { duplicates: number; worst: Array<[number, number]> } {
  const dup = [...counts].filter(([, c]) => c > 1).sort((a, b) => b[1] - a[1]);
  return { duplicates: dup.reduce((n, [, c]) => n + c - 1, 0), worst: dup.slice(0, 10) };
}

/** Every event in a store's event files (append-only JSON lines, one file per day). */
export function readEvents(eventsDir: string): RecipientEvent[] {
  const out: RecipientEvent[] = [];
  for (const f of readdirSync(eventsDir).filter((n) => n.endsWith('.jsonl')).sort()) {
    for (const line of readFileSync(path.join(eventsDir, f), 'utf8').split('\n')) {
      if (!line) continue;
      try {
        out.push(JSON.parse(line) as RecipientEvent);
      } catch {
        /* a line torn by a kill */
      }
    }
  }
  return out;
}
