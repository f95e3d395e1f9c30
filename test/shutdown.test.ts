// SIGTERM while a delivery is in flight: the child stops accepting, lets the delivery finish,
// flushes the store and exits 0; the CLI then shows the recorded outcomes from disk.
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, send, tempDir, waitFor } from './helpers/rebound.js';
import { ReboundChild, canConnect, childConfig, cliJson, freePort, requireBuild, sleep, writeConfig } from './helpers/child.js';

const DATA_DELAY_MS = 1_500;

/** An upstream that answers 450 to "defer*" recipients and holds its DATA reply for a while. */
class SlowUpstream {
  dataStartedAt = 0;
  dataRepliedAt = 0;
  readonly delivered: string[][] = [];
  rcptCommands = 0;
  port = 0;
  private readonly server = new SMTPServer({
    disableReverseLookup: true, hideENHANCEDSTATUSCODES: false, authOptional: true, disabledCommands: ['STARTTLS'], logger: false,
    onRcptTo: (addr, _s, cb) => {
      this.rcptCommands++;
      if (!addr.address.startsWith('defer')) return cb();
      cb(Object.assign(new Error('4.2.2 Mailbox full, try again later'), { responseCode: 450 }));
    },
    onData: (stream, session, cb) => {
      this.dataStartedAt = Date.now();
      stream.resume();
      stream.on('end', () => setTimeout(() => {
        this.delivered.push(session.envelope.rcptTo.map((r) => r.address));
        this.dataRepliedAt = Date.now();
        cb(null, '2.0.0 Ok: queued upstream');
      }, DATA_DELAY_MS));
    },
  });

  async start(): Promise<this> {
    this.server.on('error', () => undefined); // resets from a stopping client are not our concern
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.server.address() as AddressInfo).port;
    return this;
  }

  stop(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

interface StatusJson {
  email: string;
  record: { lastStatus: string; invalid: boolean; deliveredCount: number } | null;
  events: Array<{ type: string; status?: string; code?: number | null; enhanced?: string | null; queueId?: string }>;
}
interface QueueJson {
  queueId: string;
  nextAttemptAt: string | null;
  rcpts: Array<{ rcpt: string; status: string; attempts: number; lastResponse: string | null }>;
}

let up: SlowUpstream;
let dir = '';
const children: ReboundChild[] = [];

beforeAll(async () => {
  requireBuild();
  up = await new SlowUpstream().start();
  dir = tempDir('rebound-shutdown-');
});

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL'); // only if a failed test left one running
  await up?.stop();
  if (dir) cleanup(dir);
});

describe('shutdown: SIGTERM', () => {
  it('finishes the delivery in flight, flushes the store, exits 0, and the CLI shows the outcomes', { timeout: 40_000 }, async () => {
    const port = await freePort();
    const configFile = path.join(dir, 'config.json');
    // A long retry delay: the deferred recipient must still be queued after the restart.
    writeConfig(configFile, childConfig(path.join(dir, 'data'), port, up.port, {
      delivery: {
        mode: 'smarthost', smarthost: { host: '127.0.0.1', port: up.port, starttls: 'off' },
        retry: { firstDelayMs: 600_000, maxDelayMs: 600_000 }, connectTimeoutMs: 2_000, greetingTimeoutMs: 2_000,
      },
    }));
    const child = await ReboundChild.start(configFile, port);
    children.push(child);

    const res = await send(port, { to: ['ok@example.org', 'defer@example.org'], subject: 'shutdown' });
    const queueId = /queued as ([0-9A-Z]+)/.exec(res.response)?.[1];
    expect(queueId, res.response).toBeTruthy();

    // SIGTERM while the upstream is still holding its DATA reply.
    await waitFor(() => up.dataStartedAt > 0, 10_000);
    child.kill('SIGTERM');
    await waitFor(() => child.stdout.includes('"msg":"shutting down"'), 5_000);
    expect(await canConnect(port), 'the submission port still accepts after SIGTERM').toBe(false);

    const exit = await child.exited;
    const exitedAt = Date.now();
    expect(exit, `clean exit expected\n${child.diagnostics()}`).toEqual({ code: 0, signal: null });
    expect(up.dataRepliedAt, 'the child exited before the delivery in flight finished').toBeGreaterThan(0);
    expect(up.dataRepliedAt).toBeLessThanOrEqual(exitedAt);
    expect(up.delivered).toEqual([['ok@example.org']]);
    const logs = child.logs();
    expect(logs.filter((l) => l.msg === 'delivery').map((l) => [l.rcpt, l.status]).sort()).toEqual([
      ['defer@example.org', 'deferred'], ['ok@example.org', 'delivered'],
    ]);
    expect(logs.at(-1)?.msg, child.diagnostics()).toBe('rebound stopped');

    // What the store flushed on the way out, read back by separate processes.
    const [ok, deferred, queue] = await Promise.all([
      cliJson<StatusJson>(['status', 'ok@example.org', '--json', '--config', configFile]),
      cliJson<StatusJson>(['status', 'defer@example.org', '--json', '--config', configFile]),
      cliJson<QueueJson[]>(['queue', '--json', '--config', configFile]),
    ]);
    expect(ok.record).toMatchObject({ lastStatus: 'delivered', invalid: false, deliveredCount: 1 });
    expect(ok.events.filter((e) => e.type === 'attempt')).toMatchObject([{ status: 'delivered', code: 250, queueId }]);
    expect(deferred.record).toMatchObject({ lastStatus: 'deferred', invalid: false });
    expect(deferred.events.filter((e) => e.type === 'attempt')).toMatchObject([{ status: 'deferred', code: 450, enhanced: '4.2.2', queueId }]);

    expect(queue).toHaveLength(1);
    expect(queue[0]).toMatchObject({ queueId, rcpts: [{ rcpt: 'defer@example.org', status: 'deferred', attempts: 1 }] });
    expect(queue[0]!.rcpts[0]!.lastResponse).toContain('450');
    // Next attempt = attempt time + firstDelayMs (600 s), give or take the test's own duration.
    const next = Date.parse(queue[0]!.nextAttemptAt ?? '');
    expect(next - exitedAt).toBeGreaterThan(500_000);
    expect(next - exitedAt).toBeLessThan(601_000);

    // A restart resumes the deferred message on its schedule; the delivered recipient is not retried.
    const upstreamRcpts = up.rcptCommands;
    const again = await ReboundChild.start(configFile, port);
    children.push(again);
    await waitFor(() => again.logs().find((l) => l.msg === 'rebound started'), 5_000);
    expect(again.logs().find((l) => l.msg === 'rebound started')?.queued).toBe(1);
    await sleep(500);
    expect(up.rcptCommands).toBe(upstreamRcpts);
    expect(up.delivered).toHaveLength(1);
    const queueAgain = await cliJson<QueueJson[]>(['queue', '--json', '--config', configFile]);
    expect(queueAgain).toEqual(queue);

    const stop = await again.terminate();
    expect(stop, again.diagnostics()).toEqual({ code: 0, signal: null });
  });
});
