// A child Rebound for benchmarks: `node dist/cli.js start --config FILE` with production defaults
// (fsync on) except ports, log level and whatever the caller merges in. Optional event-loop delay
// histogram (a preload, reset on the first SIGUSR2 and written out on the second) and --cpu-prof.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { CLI, cpuSeconds, freePort, merge, procStatusKb, sleep, stopChild, waitForPort } from './util.mjs';

/**
 * Starts Rebound in `dir` (config, data, eld files) relaying to 127.0.0.1:smarthostPort.
 * Resolves once the submission port accepts connections. `cli`: another checkout's dist/cli.js (side-by-side runs).
 */
export async function startRebound({ dir, smarthostPort, logLevel = 'warn', overrides = {}, profDir = null, startTimeoutMs = 10_000, maxClients = 500, cli = CLI }) {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const config = merge({
    dataDir: path.join(dir, 'data'),
    log: { level: logLevel },
    submission: { host: '127.0.0.1', port, trustedNetworks: ['127.0.0.1/32'], maxClients },
    delivery: { mode: 'smarthost', smarthost: { host: '127.0.0.1', port: smarthostPort, starttls: 'off' } },
    returnPath: { port: 0 },
    http: { port: 0 },
  }, overrides);
  const configFile = path.join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify(config));
  const eldFile = path.join(dir, 'eld.json');
  const preload = path.join(dir, 'eld.mjs');
  writeFileSync(preload, `
    import { monitorEventLoopDelay } from 'node:perf_hooks';
    import { writeFileSync } from 'node:fs';
    const h = monitorEventLoopDelay({ resolution: 10 });
    h.enable();
    let n = 0;
    process.on('SIGUSR2', () => {
      if (n++ % 2 === 0) return h.reset();
      // The histogram records the whole timer interval; subtract the 10 ms resolution to get the delay.
      const ms = (v) => Math.max(0, Math.round((v - 1e7) / 1e4) / 100);
      writeFileSync(${JSON.stringify(eldFile)}, JSON.stringify({ p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max), mean: ms(h.mean) }));
    });
  `);
  const nodeArgs = profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
  const env = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${pathToFileURL(preload).href}`.trim() };
  delete env.NODE_ENV;
  const t0 = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, cli, 'start', '--config', configFile], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s) => (stderr = (stderr + s).slice(-8_000)));
  const dead = () => (child.exitCode !== null || child.signalCode !== null ? `rebound exited during start-up:\n${stderr}` : null);
  try {
    await waitForPort(port, startTimeoutMs, dead);
  } catch (err) {
    await stopChild(child, 2_000);
    throw new Error(`${err.message}\n${stderr}`);
  }
  const startMs = performance.now() - t0;
  return {
    child, port, config, configFile, startMs,
    get stderr() { return stderr; },
    cpu: () => cpuSeconds(child.pid),
    rssKb: () => procStatusKb(child.pid, 'VmRSS'),
    hwmKb: () => procStatusKb(child.pid, 'VmHWM'),
    /** Resets the event-loop delay histogram. */
    eldStart() { child.kill('SIGUSR2'); },
    /** Writes out and reads the histogram since eldStart(): { p50, p99, max, mean } in ms, or null. */
    async eldRead() {
      try { writeFileSync(eldFile, ''); } catch { /* ignore */ }
      child.kill('SIGUSR2');
      for (let i = 0; i < 80; i++) {
        try {
          const s = readFileSync(eldFile, 'utf8');
          if (s) return JSON.parse(s);
        } catch { /* not yet */ }
        await sleep(25);
      }
      return null;
    },
    stop: (graceMs = 15_000) => stopChild(child, graceMs),
  };
}
