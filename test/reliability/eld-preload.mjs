// Preloaded into a Rebound child with NODE_OPTIONS=--import: samples its event-loop delay and
// appends one JSON line per interval to REBOUND_ELD_FILE (p50/p99/max in ms, then resets).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { appendFileSync } from 'node:fs';

const file = process.env.REBOUND_ELD_FILE;
const every = Number(process.env.REBOUND_ELD_EVERY_MS ?? 5000);
if (file) {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  // The histogram records the whole timer interval; subtract the 10 ms resolution to get the delay.
  const ms = (v) => Math.max(0, Math.round((v - 1e7) / 1e4) / 100);
  const t = setInterval(() => {
    appendFileSync(file, JSON.stringify({ t: Date.now(), p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max) }) + '\n');
    h.reset();
  }, every);
  t.unref();
}
