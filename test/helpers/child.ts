// Runs the built CLI (dist/cli.js) as a real child process: for crash and shutdown tests,
// where the thing under test is the process itself (signals, exit codes, what is on disk).
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { ConfigInput } from '../../src/config.js';

export const CLI = path.resolve(import.meta.dirname, '../../dist/cli.js');

/** Fails early and clearly when the build is missing (a hand-run vitest skips `pretest`). */
export function requireBuild(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` before these tests`);
}

/** A port that was free a moment ago (listen on 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** The child inherits the test's env minus NODE_ENV=test, so it runs as in production. */
function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_ENV;
  return env;
}

export function writeConfig(file: string, config: ConfigInput): void {
  writeFileSync(file, JSON.stringify(config, null, 2));
}

/** A config for a child on loopback: submission on `port`, smarthost = the test's sink, short retries. */
export function childConfig(dataDir: string, port: number, upstreamPort: number, over: Partial<ConfigInput> = {}): ConfigInput {
  return {
    dataDir,
    log: { level: 'info' },
    submission: { host: '127.0.0.1', port, trustedNetworks: ['127.0.0.1/32'], socketTimeoutMs: 10_000 },
    delivery: {
      mode: 'smarthost',
      smarthost: { host: '127.0.0.1', port: upstreamPort, rejectUnauthorized: false },
      retry: { firstDelayMs: 200, maxDelayMs: 500 },
      connectTimeoutMs: 2_000, greetingTimeoutMs: 2_000, socketTimeoutMs: 10_000, idleTimeoutMs: 1_000,
    },
    // Not under test here; port 0 so a child never collides with anything.
    returnPath: { port: 0 },
    http: { port: 0 },
    ...over,
  };
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running `rebound start`, with its output kept for diagnostics. */
export class ReboundChild {
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;
  private exit: Exit | null = null;

  private constructor(readonly proc: ChildProcess, readonly port: number) {
    proc.stdout!.setEncoding('utf8').on('data', (s: string) => (this.stdout += s));
    proc.stderr!.setEncoding('utf8').on('data', (s: string) => (this.stderr += s));
    this.exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve((this.exit = { code, signal }))));
  }

  get pid(): number {
    return this.proc.pid!;
  }

  get running(): boolean {
    return this.exit === null;
  }

  /** Starts the child and resolves once its submission port answers. */
  static async start(configFile: string, port: number, timeoutMs = 10_000): Promise<ReboundChild> {
    requireBuild();
    const proc = spawn(process.execPath, [CLI, 'start', '--config', configFile], { env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    const child = new ReboundChild(proc, port);
    const end = Date.now() + timeoutMs;
    // The start-up log line when logging at info, else a probe of the port.
    while (!child.stdout.includes('"msg":"rebound started"') && !(await canConnect(port))) {
      if (!child.running) throw new Error(`rebound exited during start-up (${JSON.stringify(child.exit)}):\n${child.diagnostics()}`);
      if (Date.now() > end) {
        child.kill('SIGKILL');
        throw new Error(`rebound did not listen on ${port} within ${timeoutMs} ms:\n${child.diagnostics()}`);
      }
      await sleep(25);
    }
    return child;
  }

  /** Parsed pino lines from stdout (unparsable lines are skipped). */
  logs(): Array<Record<string, unknown>> {
    const out: Array<Record<string, unknown>> = [];
    for (const line of this.stdout.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        out.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // a line cut by SIGKILL
      }
    }
    return out;
  }

  kill(signal: NodeJS.Signals): void {
    if (this.running) this.proc.kill(signal);
  }

  /** Sends SIGTERM and waits (bounded) for the exit; SIGKILLs on timeout so nothing leaks. */
  async terminate(timeoutMs = 15_000): Promise<Exit> {
    this.kill('SIGTERM');
    const timer = setTimeout(() => this.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The tail of both streams, for assertion messages. */
  diagnostics(chars = 4_000): string {
    return `--- stderr ---\n${this.stderr.slice(-chars)}\n--- stdout (tail) ---\n${this.stdout.slice(-chars)}`;
  }
}

/** Runs a one-shot CLI command (status, queue) and returns its parsed JSON output. */
export function cliJson<T = unknown>(args: string[]): Promise<T> {
  requireBuild();
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLI, ...args], { env: childEnv(), timeout: 10_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`rebound ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      try {
        resolve(JSON.parse(stdout) as T);
      } catch {
        reject(new Error(`rebound ${args.join(' ')} printed no JSON:\n${stdout}\n${stderr}`));
      }
    });
  });
}

/** Runs a one-shot CLI command and returns its exit code and output, whatever the code (for error cases). */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  requireBuild();
  return new Promise((resolve) => {
    const merged = { ...childEnv(), ...env };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete merged[k];
    execFile(process.execPath, [CLI, ...args], { env: merged, timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
