// A report parser thread (see parse-pool.ts): parses the reports it is sent, one at a time.
import { parentPort } from 'node:worker_threads';
import { parseReport } from './parse/index.js';

export interface ParseRequest {
  id: number;
  raw: Uint8Array;
}

export type ParseReply = { id: number; parsed: Awaited<ReturnType<typeof parseReport>> } | { id: number; error: string } | { ready: true };

parentPort!.on('message', (req: ParseRequest) => {
  const raw = Buffer.from(req.raw.buffer, req.raw.byteOffset, req.raw.byteLength);
  parseReport(raw).then(
    (parsed) => parentPort!.postMessage({ id: req.id, parsed } satisfies ParseReply),
    (err: Error) => parentPort!.postMessage({ id: req.id, error: err.message } satisfies ParseReply),
  );
});

// Loaded: the pool starts a report's clock only now, so start-up does not count against it.
parentPort!.postMessage({ ready: true } satisfies ParseReply);
