// A Rebound relaying to the sandbox, with the signed VERP return path on, so the sandbox's
// bounces, complaints and auto-replies come back to it (the outside world, played locally).
import { Sandbox } from '../../src/sandbox/index.js';
import type { Rebound } from '../../src/main.js';
import { silentLogger } from '../../src/util/logger.js';
import { freePort } from './child.js';
import { cleanup, startRebound, tempDir, testConfig } from './rebound.js';

export interface SandboxWorld {
  app: Rebound;
  sandbox: Sandbox;
  stop(): Promise<void>;
}

export async function startSandboxWorld(domain = 'sandbox.test'): Promise<SandboxWorld> {
  const dir = tempDir();
  const rpPort = await freePort();
  const sandbox = new Sandbox({ host: '127.0.0.1', port: 0, name: domain, reportDelayMs: 50, logger: silentLogger(), returnPath: { host: '127.0.0.1', port: rpPort } });
  const port = await sandbox.start();
  const app = await startRebound(testConfig(dir, port, {
    returnPath: { domain: 'bounces.rebound.test', port: rpPort },
    delivery: { retry: { firstDelayMs: 60_000, maxDelayMs: 60_000, lifetimeMs: 3_600_000 } },
  }));
  return {
    app, sandbox,
    async stop() {
      await app.stop(2_000);
      await sandbox.stop();
      cleanup(dir);
    },
  };
}
