// Runs every bench (relay, parse, reconcile, http, peer-postfix, scale, and any other bench/*.mjs),
// each as a child with a timeout, collects the JSON line each prints last, and writes bench/RESULTS.md.
// A failing or timed-out bench is reported in the file, not fatal.
//
//   npm run bench                         (= node bench/run-all.mjs; it builds first)
//   BENCH_ONLY=relay,peer-postfix         run only these (names without .mjs)
//   BENCH_SKIP=scale                      skip these
//   BENCH_NO_BUILD=1                      do not run `npm run build` first
//   BENCH_TIMEOUT_SCALE=1.5               multiply every bench timeout (slow machines)
// Environment variables for the single benches (BENCH_N, BENCH_ROUNDS, ...) pass through.
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BENCH_DIR, REPO_ROOT, lastJsonLine, machineInfo, round, run } from './lib/util.mjs';

const MIN = 60_000;
// Known benches, in the order they run, with their bounds. Unknown bench/*.mjs files get DEFAULT_TIMEOUT.
const KNOWN = {
  relay: { timeoutMs: 5 * MIN },
  parse: { timeoutMs: 3 * MIN },
  reconcile: { timeoutMs: 10 * MIN },
  http: { timeoutMs: 10 * MIN },
  'peer-postfix': { timeoutMs: 40 * MIN },
  // relay.mjs already ran: scale does not run it again for the event-loop figure.
  scale: { timeoutMs: 40 * MIN, env: { BENCH_SCALE_RELAY: '0' } },
};
const DEFAULT_TIMEOUT = 10 * MIN;
const HELPERS = new Set(['sink', 'run-all']); // not benches: sink.mjs is relay.mjs's forked upstream
const SCALE = Number(process.env.BENCH_TIMEOUT_SCALE ?? 1) || 1;
const list = (v) => (v ? v.split(',').map((s) => s.trim().replace(/\.mjs$/, '')).filter(Boolean) : null);
const ONLY = list(process.env.BENCH_ONLY);
const SKIP = new Set(list(process.env.BENCH_SKIP) ?? []);

function benches() {
  const files = readdirSync(BENCH_DIR).filter((f) => f.endsWith('.mjs')).map((f) => f.slice(0, -4)).filter((n) => !HELPERS.has(n));
  const known = Object.keys(KNOWN).filter((n) => files.includes(n));
  const others = files.filter((n) => !(n in KNOWN)).sort();
  return [...known, ...others].filter((n) => (!ONLY || ONLY.includes(n)) && !SKIP.has(n));
}

const esc = (v) => String(v).replace(/\|/g, '\\|').replace(/\n/g, ' ');
const fmt = (v) => (v === null || v === undefined ? '-' : typeof v === 'number' ? String(v) : typeof v === 'object' ? esc(JSON.stringify(v)) : esc(v));

/** Scalars of a JSON object as dotted keys (arrays summarised by their length). */
function flatten(obj, prefix = '', out = []) {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (Array.isArray(v)) out.push([key, v.every((x) => x === null || typeof x !== 'object') ? v.join(', ') : `${v.length} entries`]);
    else if (v && typeof v === 'object') flatten(v, key, out);
    else out.push([key, v]);
  }
  return out;
}

function table(header, rows) {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(fmt).join(' | ')} |`)].join('\n');
}

function renderPeer(j) {
  const rows = Object.entries(j.modes).map(([mode, s]) => [
    mode === 'persistent' ? `persistent sessions (-d -s ${s.sessions})` : `one message per connection (-s ${s.sessions})`,
    s.postfix['in_flow_delay=1s'], s.postfix['in_flow_delay=0'], s.postfixBest, s.rebound, s.ratio === null ? null : `${s.ratio}x`,
    s.reboundEventLoopP99Median, s.failedRuns,
  ]);
  const runs = j.runs.map((r) => [r.mode, r.round, r.server, r.config, r.outcome, r.relayedPerSec, r.relaySeconds, r.acceptSeconds, r.reboundCpuSeconds, r.reboundPeakRssMb, r.eventLoopDelayMs?.p99]);
  return [
    `${j.n} messages per run (smtp-source -l ${j.bodyBytes}) into Postfix and Rebound, alternating, ${j.rounds} rounds; same smtp-source load and same smtp-sink for both; median relayed msg/s (start of smtp-source until the sink counted all N). Target: Rebound >= ${j.targetRatio}x the better Postfix config, every message durable before its 250.`,
    '',
    table(['mode', 'postfix in_flow_delay=1s', 'postfix in_flow_delay=0', 'postfix best', 'rebound', 'rebound/postfix', 'rebound loop delay p99 ms', 'failed runs'], rows),
    '',
    '<details><summary>every run</summary>',
    '',
    table(['mode', 'round', 'server', 'config', 'outcome', 'relayed msg/s', 'relay s', 'smtp-source s', 'rebound cpu s', 'rebound peak RSS MB', 'loop delay p99 ms'], runs),
    '',
    '</details>',
  ].join('\n');
}

function renderScale(j) {
  const out = [];
  if (j.steps?.length) {
    out.push(`Scale curve: ${j.loadN} messages per step over 20 sessions, recipients spread over the pre-loaded records.`, '');
    out.push(table(['recipient records', 'outcome', 'relayed msg/s', 'accepted msg/s', 'start s', 'RSS after start MB', 'RSS after run MB', 'peak RSS MB', 'loop delay p99 ms', 'loop delay max ms', 'store on disk MB', 'seed s'],
      j.steps.map((s) => [s.records, s.outcome, s.relayedPerSec, s.acceptedPerSec, s.startSeconds, s.rssAfterStartMb, s.rssAfterRunMb, s.peakRssMb, s.eventLoopDelayMs?.p99, s.eventLoopDelayMs?.max, s.storeMb, s.seedSeconds])));
  }
  if (j.queued) {
    const q = j.queued;
    out.push('', `Queued memory: ${q.target} messages of ${q.messageBytes ?? '?'} B submitted with the smarthost down (a closed port), so they stay queued.`, '');
    out.push(table(['outcome', 'queued', 'accepted msg/s', 'RSS MB', 'peak RSS (VmHWM) MB', 'spool+store MB', 'restart s', 'RSS after restart MB', 'RSS by queued count'],
      [[q.outcome, q.queued, q.acceptedPerSec, q.rssMb, q.peakRssMb, q.spoolMb, q.restartSeconds, q.rssAfterRestartMb, (q.rssByQueued ?? []).map(([k, m]) => `${k / 1000}k: ${m}`).join(', ')]]));
  }
  if (!j.relay) out.push('', 'Event-loop delay during the relay bench: see the relay section (eventLoopDelayMs).');
  if (j.relay) out.push('', `bench/relay.mjs: relayed ${j.relay.relayedPerSec} msg/s, event-loop delay p99 ${j.relay.eventLoopDelayMs?.p99} ms.`);
  return out.join('\n');
}

function renderGeneric(j) {
  const rows = flatten(j).filter(([k]) => !['bench', 'cpus', 'node'].includes(k));
  return table(['figure', 'value'], rows);
}

function render(name, r) {
  const head = `## ${name}\n\n\`node bench/${name}.mjs\`: ${r.status} in ${round(r.ms / 1000, 1)} s (timeout ${round(r.timeoutMs / 1000, 0)} s)`;
  const parts = [head];
  if (r.json) {
    try {
      parts.push(name === 'peer-postfix' && r.json.modes ? renderPeer(r.json) : name === 'scale' && r.json.steps ? renderScale(r.json) : renderGeneric(r.json));
    } catch (err) {
      parts.push(`(could not render: ${err.message})`, renderGeneric(r.json));
    }
  } else {
    parts.push('No JSON line in its output; its last lines:', '', '```', r.stdout.trim().split('\n').slice(-15).join('\n'), '```');
  }
  if (r.status !== 'ok') parts.push('', 'stderr (last lines):', '', '```', (r.stderr.trim() || '(empty)').split('\n').slice(-10).join('\n'), '```');
  return parts.join('\n\n');
}

async function main() {
  const started = Date.now();
  const info = machineInfo();
  let build = null;
  if (process.env.BENCH_NO_BUILD !== '1') {
    console.log('building (npm run build)...');
    build = await run('npm', ['run', 'build', '--silent'], { cwd: REPO_ROOT, timeoutMs: 5 * MIN });
    if (build.code !== 0) console.log(`  build failed (exit ${build.code}); running against the existing dist/:\n${(build.stdout + build.stderr).trim().split('\n').slice(-10).join('\n')}`);
  }
  const results = {};
  for (const name of benches()) {
    const k = KNOWN[name] ?? {};
    const timeoutMs = Math.round((k.timeoutMs ?? DEFAULT_TIMEOUT) * SCALE);
    console.log(`\n=== ${name} (timeout ${Math.round(timeoutMs / 1000)} s)`);
    const r = await run(process.execPath, [path.join(BENCH_DIR, `${name}.mjs`)], { cwd: REPO_ROOT, timeoutMs, env: { ...process.env, ...(k.env ?? {}) } });
    const json = lastJsonLine(r.stdout);
    const status = r.timedOut ? 'TIMED OUT' : r.code === 0 ? 'ok' : `FAILED (exit ${r.code ?? r.signal})`;
    results[name] = { ...r, json, status, timeoutMs };
    const human = r.stdout.split('\n').filter((l) => l.trim() && !l.trim().startsWith('{')).slice(-12).join('\n');
    console.log(human);
    console.log(`--- ${name}: ${status} in ${round(r.ms / 1000, 1)} s${json ? '' : ', no JSON line'}`);
  }

  const md = [
    '# Benchmark results',
    '',
    `Generated by \`node bench/run-all.mjs\` (\`npm run bench\`); do not edit by hand.`,
    '',
    table(['machine', ''], [
      ['date', info.date], ['git commit', `${info.commit ?? '?'}${info.dirty ? ' (working tree has uncommitted changes)' : ''}`],
      ['cpus', `${info.cpus} x ${info.cpuModel ?? '?'}`], ['memory', `${info.memoryGiB} GiB`], ['node', info.node], ['os', info.platform],
      ['build', build === null ? 'skipped (BENCH_NO_BUILD)' : build.code === 0 ? 'npm run build ok' : `npm run build FAILED (exit ${build.code}); benches ran against the existing dist/`],
      ['total time', `${round((Date.now() - started) / 60_000, 1)} min`],
    ]),
    '',
    'Numbers are relative: the machine may be shared (other processes were running), and runs vary by about 30%.',
    '',
    '## Summary',
    '',
    table(['bench', 'status', 'seconds'], Object.entries(results).map(([n, r]) => [n, r.status + (r.json ? '' : ' (no JSON line)'), round(r.ms / 1000, 1)])),
    '',
    ...Object.entries(results).map(([n, r]) => render(n, r) + '\n'),
  ].join('\n');
  writeFileSync(path.join(BENCH_DIR, 'RESULTS.md'), md);
  console.log(`\nwrote ${path.relative(REPO_ROOT, path.join(BENCH_DIR, 'RESULTS.md'))}`);
  console.log(JSON.stringify({ bench: 'run-all', results: Object.fromEntries(Object.entries(results).map(([n, r]) => [n, r.status])) }));
  return Object.values(results).every((r) => r.status === 'ok') ? 0 : 1;
}

process.exit(await main());
