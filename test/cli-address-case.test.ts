// The command line and the control socket with mixed-case addresses, against a real `rebound
// start`: a suppression made under one spelling refuses every spelling, `status` finds it under
// any, and the same holds when the CLI edits the store directly (no server running).
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecipientRecord } from '../src/types.js';
import { ReboundChild, childConfig, cliJson, freePort, writeConfig } from './helpers/child.js';
import { cleanup, send, tempDir } from './helpers/rebound.js';
import { Upstream } from './helpers/upstream.js';

describe('CLI and control socket with mixed-case addresses', () => {
  let dir: string;
  let file: string;
  let port: number;
  let up: Upstream;
  let child: ReboundChild | null = null;
  beforeAll(async () => {
    dir = tempDir();
    up = await new Upstream().start();
    port = await freePort();
    file = path.join(dir, 'rebound.json');
    writeConfig(file, childConfig(path.join(dir, 'data'), port, up.port, { log: { level: 'warn' } }));
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await child?.exited;
    await up.stop();
    cleanup(dir);
  });

  type Status = { record: RecipientRecord | null };

  it('suppress over the control socket under one spelling, refused and found under the others', async () => {
    child = await ReboundChild.start(file, port);
    await cliJson(['suppress', 'Mixed.Case@Example.org', 'test', '--json', '--config', file]);
    for (const rcpt of ['mixed.case@example.org', 'MIXED.CASE@EXAMPLE.ORG']) {
      await expect(send(port, { to: rcpt }), rcpt).rejects.toThrow(/550 5\.7\.1/);
    }
    const status = await cliJson<Status>(['status', 'MIXED.case@example.ORG', '--json', '--config', file]);
    expect(status.record).toMatchObject({ email: 'Mixed.Case@Example.org', suppressed: true });
    await cliJson(['unsuppress', 'mixed.case@EXAMPLE.org', '--json', '--config', file]);
    expect((await send(port, { to: 'mixed.case@example.org' })).response).toMatch(/^250/);
    expect((await child.terminate()).code).toBe(0);
    child = null;
  });

  it('suppress with no server running edits the store; the next start refuses every spelling', async () => {
    await cliJson(['suppress', 'Offline@Example.ORG', 'test', '--json', '--config', file]);
    child = await ReboundChild.start(file, port);
    await expect(send(port, { to: 'offline@example.org' })).rejects.toThrow(/550 5\.7\.1/);
    const status = await cliJson<Status>(['status', 'OFFLINE@example.org', '--json', '--config', file]);
    expect(status.record).toMatchObject({ email: 'Offline@Example.ORG', suppressed: true });
  });
});
