// `npm start` is the README's first command, and "SIGTERM exits 0" must hold for it, not only for
// `node dist/cli.js start`: npm forwards SIGTERM to the script's process, so that process has to be
// rebound itself (`exec`), not a `sh -c` that dies and leaves the server running as an orphan.
// The real `start` script from package.json runs under the real npm, in a scratch package whose
// `build` is a no-op and whose dist/ is this repository's build (no tsc rewriting dist/ while other
// test files use it).
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanup, tempDir } from './helpers/rebound.js';
import { CLI, canConnect, childConfig, freePort, requireBuild, sleep, writeConfig } from './helpers/child.js';

const repo = path.resolve(import.meta.dirname, '..');
const dir = tempDir('rebound-npm-start-');
let pgid = 0;

afterAll(() => {
  // The whole process group, by its id: also an orphaned server if the script did not exec.
  if (pgid) try { process.kill(-pgid, 'SIGKILL'); } catch { /* already gone */ }
  cleanup(dir);
});

describe('npm start', () => {
  it('SIGTERM to npm stops rebound and npm exits 0', async () => {
    requireBuild();
    const { scripts } = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const pkg = path.join(dir, 'pkg');
    mkdirSync(pkg);
    writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'npm-start-probe', private: true, scripts: { build: 'true', start: scripts.start } }));
    symlinkSync(path.dirname(CLI), path.join(pkg, 'dist'));
    const port = await freePort();
    const config = path.join(dir, 'config.json');
    writeConfig(config, childConfig(path.join(dir, 'data'), port, await freePort()));

    const env: NodeJS.ProcessEnv = { ...process.env, REBOUND_CONFIG: config };
    delete env.NODE_ENV;
    const npm = spawn('npm', ['start'], { cwd: pkg, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    pgid = npm.pid!;
    let out = '';
    npm.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
    npm.stderr!.setEncoding('utf8').on('data', (s: string) => (out += s));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => npm.once('exit', (code, signal) => r({ code, signal })));

    const end = Date.now() + 20_000;
    while (!out.includes('"msg":"rebound started"')) {
      if (Date.now() > end) throw new Error(`npm start did not start rebound:\n${out}`);
      await sleep(50);
    }
    expect(await canConnect(port)).toBe(true);

    npm.kill('SIGTERM');
    const exit = await Promise.race([exited, sleep(15_000).then(() => null)]);
    expect(exit, out).toEqual({ code: 0, signal: null });
    expect(out).toContain('"msg":"rebound stopped"');
    expect(await canConnect(port)).toBe(false);
  }, 40_000);
});
