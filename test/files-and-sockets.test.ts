// Secure by default on the local machine: the control socket is 0600 whatever the umask (another
// local user cannot run `suppress`), and a trustedNetworks entry that trusts everyone (an open
// relay) stops start-up unless submission.allowOpenRelay says so.
import { execFile } from 'node:child_process';
import { chmodSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../src/config.js';
import { controlSocketPath, type Rebound } from '../src/main.js';
import { sendControl } from '../src/control/socket.js';
import { Upstream } from './helpers/upstream.js';
import { cleanup, startRebound, tempDir, testConfig } from './helpers/rebound.js';
import { CLI, freePort, requireBuild, writeConfig } from './helpers/child.js';

const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

/** Runs a one-line node script as another local user (nobody) and returns what it printed. */
function asNobody(script: string): Promise<string> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['-e', script], { uid: NOBODY, gid: NOBODY, timeout: 10_000 }, (_err, stdout, stderr) => resolve(`${stdout}${stderr}`.trim()));
  });
}

describe('control socket under umask 000', () => {
  let up: Upstream;
  let app: Rebound;
  let dir: string;
  let umask: number;
  beforeAll(async () => {
    up = await new Upstream().start();
    dir = tempDir('rebound-sock-');
    // Only the socket's own mode may protect it here: the data directory is open to all.
    chmodSync(dir, 0o755);
    umask = process.umask(0);
    app = await startRebound(testConfig(dir, up.port));
  }, 30_000);
  afterAll(async () => {
    process.umask(umask);
    await app?.stop(2_000);
    await up?.stop();
    if (dir) cleanup(dir);
  });

  it('is created 0600 and still answers its owner', async () => {
    const sock = controlSocketPath(app.config);
    expect(statSync(sock).isSocket()).toBe(true);
    expect((statSync(sock).mode & 0o777).toString(8)).toBe('600');
    const r = await sendControl(sock, 'no-such-command', []);
    expect(r).not.toBeNull();
  });

  it.skipIf(!asRoot)('refuses another local user (nobody) who tries `suppress` through it', async () => {
    const sock = controlSocketPath(app.config);
    chmodSync(app.config.dataDir, 0o755);
    const out = await asNobody(
      `const s=require('net').connect(${JSON.stringify(sock)});` +
      `s.on('connect',()=>{s.write(JSON.stringify({cmd:'suppress',args:['Victim.Mixed@Example.ORG','by nobody']})+'\\n');s.on('data',d=>{console.log('ANSWER '+d);s.end()})});` +
      `s.on('error',e=>console.log('ERROR '+e.code))`,
    );
    expect(out).toBe('ERROR EACCES');
    expect((await app.store.getRecipient('Victim.Mixed@Example.ORG'))?.suppressed ?? false).toBe(false);
    expect((await app.store.getRecipient('victim.mixed@example.org'))?.suppressed ?? false).toBe(false);
  });
});

describe('open relay refused at config load', () => {
  for (const range of ['0.0.0.0/0', '::/0', '::ffff:0:0/96']) {
    it(`refuses trustedNetworks ${range} without submission.allowOpenRelay`, () => {
      expect(() => parseConfig({ submission: { trustedNetworks: ['127.0.0.1/32', range] } })).toThrow(ConfigError);
      expect(() => parseConfig({ submission: { trustedNetworks: [range] } })).toThrow(/submission\.trustedNetworks: .* trusts every address.*submission\.allowOpenRelay: true/s);
      expect(parseConfig({ submission: { trustedNetworks: [range], allowOpenRelay: true } }).submission.trustedNetworks).toEqual([range]);
    });
  }

  it('accepts ordinary ranges', () => {
    expect(parseConfig({ submission: { trustedNetworks: ['10.0.0.0/8', '::1/128', '192.168.0.0/16', '::ffff:10.0.0.0/104'] } }).submission.allowOpenRelay).toBe(false);
  });

  it('refuses report budgets below the largest report accepted', () => {
    expect(() => parseConfig({ returnPath: { maxMessageBytes: 1_000_000, clientBytesPerMinute: 500_000 } })).toThrow(/returnPath\.clientBytesPerMinute: 500000 is below returnPath\.maxMessageBytes/);
    expect(() => parseConfig({ returnPath: { maxMessageBytes: 1_000_000, archiveMaxBytes: 999_999 } })).toThrow(/returnPath\.archiveMaxBytes/);
    expect(parseConfig({}).returnPath.clientBytesPerMinute).toBeGreaterThanOrEqual(parseConfig({}).returnPath.maxMessageBytes);
  });

  it('`rebound start` with 0.0.0.0/0 exits non-zero with a message that says what to fix', async () => {
    requireBuild();
    const dir = tempDir('rebound-relay-');
    try {
      const port = await freePort();
      const file = path.join(dir, 'config.json');
      writeConfig(file, { dataDir: path.join(dir, 'data'), submission: { port, trustedNetworks: ['0.0.0.0/0'] }, http: { enabled: false } });
      const env = { ...process.env };
      delete env.NODE_ENV;
      const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = execFile(process.execPath, [CLI, 'start', '--config', file], { env, timeout: 10_000 }, (_e, _o, stderr) => resolve({ code: child.exitCode, stderr }));
      });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/trusts every address/);
    } finally {
      cleanup(dir);
    }
  });
});
