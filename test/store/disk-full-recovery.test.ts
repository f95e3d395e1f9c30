// A real `rebound start` with its whole data directory on a small tmpfs, the upstream down: the
// disk fills while deliveries are being retried. /readyz must say the store cannot write and why;
// once space returns and the upstream is back the queue drains by itself (no restart); and after a
// SIGKILL the same data starts again (no "journal line N is damaged").
import { request } from 'node:http';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Upstream } from '../helpers/upstream.js';
import { send, waitFor } from '../helpers/rebound.js';
import { ReboundChild, childConfig, freePort, sleep, writeConfig } from '../helpers/child.js';
import { mountTmpfs } from '../helpers/tmpfs.js';

const disk = mountTmpfs('4m');
if (!disk) console.warn('disk-full recovery test skipped: cannot mount a tmpfs here (needs root and mount)');

function readyz(port: number): Promise<{ status: number; body: { checks?: Record<string, boolean>; causes?: Record<string, string> } }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/readyz', timeout: 2_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe.skipIf(!disk)('store on a full disk, end to end', () => {
  const children: ReboundChild[] = [];
  let up: Upstream | null = null;
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    await up?.stop();
    disk?.unmount();
  });

  it('reports the failed writes, drains the queue when space returns, and restarts cleanly after SIGKILL', async () => {
    const dataDir = path.join(disk!.dir, 'data');
    const [port, httpPort, upPort] = [await freePort(), await freePort(), await freePort()];
    const file = path.join(disk!.dir, '..', 'rebound.json');
    writeConfig(file, childConfig(dataDir, port, upPort, {
      log: { level: 'warn' },
      http: { port: httpPort },
      store: { flushIntervalMs: 50 },
      spool: { segmentBytes: 256 * 1024 },
    }));
    const child = await ReboundChild.start(file, port);
    children.push(child);
    const sent: string[] = [];
    for (let i = 0; i < 30; i++) {
      const to = `Queued-${i}@Example.org`;
      await send(port, { to, text: 'x'.repeat(2_000) });
      sent.push(to);
    }
    await sleep(800); // the upstream is down: every attempt defers and is retried
    disk!.fill();
    const full = await waitFor(async () => {
      const r = await readyz(httpPort);
      return r.status === 503 && r.body.causes?.store ? r : null;
    }, 15_000).catch(() => null);
    expect(full, `/readyz never reported the store failing:\n${child.diagnostics()}`).not.toBeNull();
    expect(full!.body.checks?.store).toBe(false);
    expect(full!.body.causes!.store).toMatch(/ENOSPC|no space/i);
    await sleep(1_000); // retries keep failing to write meanwhile

    disk!.free();
    up = await new Upstream({ port: upPort }).start();
    // Upstream gets the local part as written (smtp-server lower-cases the domain on the way in).
    const upstreamForm = (a: string) => a.replace(/@.*$/, (d) => d.toLowerCase());
    const drained = await waitFor(() => sent.every((r) => up!.deliveredTo().includes(upstreamForm(r))), 30_000).catch(() => false);
    expect(drained, `delivered ${new Set(up.deliveredTo()).size} of ${sent.length} (${up.deliveredTo().slice(0, 3).join(", ")}) after space and the upstream returned:\n${child.diagnostics(600)}`).toBe(true);
    await waitFor(async () => (await readyz(httpPort)).status === 200, 10_000);

    child.kill('SIGKILL');
    await child.exited;
    const again = await ReboundChild.start(file, port).catch((err: Error) => err);
    expect(again instanceof Error ? again.message : 'started').toBe('started');
    children.push(again as ReboundChild);
    await waitFor(async () => (await readyz(httpPort).catch(() => null))?.status === 200, 10_000);
    const exit = await (again as ReboundChild).terminate();
    expect(exit.code).toBe(0);
  }, 90_000);
});
