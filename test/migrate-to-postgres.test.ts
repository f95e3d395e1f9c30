// `rebound migrate --to postgres` end to end (issue 12): a real lowdb Rebound (child process, real
// SMTP) makes real state (delivered mail, a flag from a 550 5.1.1 at RCPT, a suppression, mixed-case
// addresses, a message the upstream keeps deferring with 451), is stopped, and the real CLI copies
// it into a private PostgreSQL. A Rebound on PostgreSQL with the same configuration (store.engine
// changed) then shows the same flag, suppression, history and messages, refuses the suppressed
// address at RCPT, and delivers the queued message exactly once when the upstream accepts. Run
// again, migrate copies nothing and says so, and leaves what the PostgreSQL node did since alone.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { lowdbStoreOf } from '../src/main.js';
import type { MigrationReport } from '../src/control/migrate-store.js';
import type { MessageRecord, RecipientEvent, RecipientRecord } from '../src/types.js';
import { systemClock } from '../src/util/clock.js';
import { silentLogger } from '../src/util/logger.js';
import { ReboundChild, canConnect, childConfig, cliJson, freePort, requireBuild, runCli, writeConfig } from './helpers/child.js';
import { pgSkip, usePgCluster } from './helpers/pg-cluster.js';
import { allEvents, cleanup, listMessages, listRecipients, queueIdOf, send, tempDir, waitFor } from './helpers/rebound.js';
import { Upstream } from './helpers/upstream.js';

const TOKEN = 'migrate-test-token-0123456789abcdef';
const TOKEN_HASH = `sha256$${createHash('sha256').update(TOKEN).digest('hex')}`;
// No URL from the environment: each case says where its database is.
const NO_ENV = { REBOUND_PG_URL: undefined };

if (pgSkip) console.warn(`migrate tests skipped: ${pgSkip}`);

/** sha256 of every file under `dir`, by relative path: what "left as they were" means. */
function fingerprint(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(path.relative(dir, p), createHash('sha256').update(readFileSync(p)).digest('hex'));
    }
  };
  walk(dir);
  return out;
}

interface RecipientView {
  recipient: RecipientRecord;
  messages: Array<{ queueId: string; status: string }>;
  history: Array<RecipientEvent & { description: string }>;
}

describe.skipIf(!!pgSkip)('rebound migrate --to postgres', () => {
  const pgc = usePgCluster();
  let dir = '';
  let up: Upstream;
  const children: ReboundChild[] = [];

  beforeAll(async () => {
    requireBuild();
    dir = tempDir('rebound-migrate-');
    up = await new Upstream({ rcpt: { unknown: '550 5.1.1 <unknown.user@example.org>: Recipient address rejected: User unknown', later: '451 4.3.0 Try again later' } }).start();
  });
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL'); // only what a failed test left running
    await up?.stop();
    if (dir) cleanup(dir);
  });

  async function startNode(file: string, port: number, http: number): Promise<ReboundChild> {
    const child = await ReboundChild.start(file, port, 20_000);
    children.push(child);
    await waitFor(() => canConnect(http), 10_000);
    return child;
  }

  const api = async <T>(http: number, p: string): Promise<T> => {
    const res = await fetch(`http://127.0.0.1:${http}${p}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    if (res.status !== 200) throw new Error(`GET ${p}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };

  it('copies a stopped lowdb node into PostgreSQL, says what it copied, and the PostgreSQL node carries on', { timeout: 150_000 }, async () => {
    const url = await pgc.db('migrate');
    const port = await freePort();
    const http = await freePort();
    const dataDir = path.join(dir, 'data');
    const file = path.join(dir, 'rebound.json');
    const base = { ...childConfig(dataDir, port, up.port, { log: { level: 'warn' } }), http: { host: '127.0.0.1', port: http, tokens: [TOKEN_HASH] } };
    writeConfig(file, base);

    // --- a lowdb node makes real state --------------------------------------------------------
    const lowdb = await startNode(file, port, http);
    const delivered = queueIdOf((await send(port, { to: ['Alice.Smith@Example.org', 'BOB@example.COM'], subject: 'delivered' })).response);
    const bounced = queueIdOf((await send(port, { to: 'Unknown.User@Example.ORG', subject: 'bounced' })).response);
    const deferred = queueIdOf((await send(port, { to: 'Later.Person@Example.org', subject: 'deferred' })).response);
    await cliJson(['suppress', 'Complainer@Example.NET', 'complained by phone', '--json', '--config', file]);
    await expect(send(port, { to: 'complainer@EXAMPLE.net' })).rejects.toThrow(/550 5\.7\.1/);
    await waitFor(async () => (await api<{ messages: MessageRecord[] }>(http, `/api/messages?status=done`)).messages.length === 2, 15_000, 100);
    const flaggedBefore = await waitFor(async () => {
      const v = await api<RecipientView>(http, `/api/recipients/${encodeURIComponent('unknown.user@example.org')}`);
      return v.recipient.invalid ? v : null;
    }, 15_000, 100);
    // The upstream has refused the deferred one more than once: it is queued with attempts behind it.
    await waitFor(async () => {
      const m = (await api<{ message: MessageRecord }>(http, `/api/messages/${deferred}`)).message;
      return m.status === 'queued' && m.rcpts[0]!.attempts >= 2;
    }, 15_000, 100);
    const suppressedBefore = await api<RecipientView>(http, `/api/recipients/${encodeURIComponent('COMPLAINER@example.net')}`);
    expect(suppressedBefore.recipient).toMatchObject({ email: 'Complainer@Example.NET', suppressed: true, suppressedReason: 'complained by phone' });
    expect(up.received.map((r) => r.to.map((t) => t.toLowerCase()).sort())).toEqual([['alice.smith@example.org', 'bob@example.com']]);

    // --- refused while the server runs, and when it cannot reach the database or has no URL ----
    const running = await runCli(['migrate', '--to', 'postgres', '--url', url, '--config', file], NO_ENV);
    expect(running.code, running.stderr).toBe(2);
    expect(running.stderr).toMatch(new RegExp(`a Rebound server is running on ${dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(pid ${lowdb.pid} .*stop it first`));
    expect((await lowdb.terminate()).code).toBe(0);
    const noUrl = await runCli(['migrate', '--to', 'postgres', '--config', file], NO_ENV);
    expect(noUrl.code).toBe(2);
    expect(noUrl.stderr).toMatch(/no PostgreSQL URL to copy into: pass --url .* or set store.postgres.url or REBOUND_PG_URL/);
    const closed = await freePort();
    const unreachable = await runCli(['migrate', '--to', 'postgres', '--url', `postgres://rebound:s3cret-pass@127.0.0.1:${closed}/rebound`, '--config', file], NO_ENV);
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toMatch(new RegExp(`cannot open PostgreSQL at postgres://rebound:\\*\\*\\*@127\\.0\\.0\\.1:${closed}/rebound: cannot connect`));
    expect(unreachable.stderr).not.toContain('s3cret-pass');
    const emptyFile = path.join(dir, 'empty.json');
    writeConfig(emptyFile, { ...base, dataDir: path.join(dir, 'never-used') });
    const noStore = await runCli(['migrate', '--to', 'postgres', '--url', url, '--config', emptyFile], NO_ENV);
    expect(noStore.code).toBe(2);
    expect(noStore.stderr).toMatch(/no lowdb store in .*never-used\/store: nothing to migrate/);
    expect(existsSync(path.join(dir, 'never-used'))).toBe(false);
    // None of those wrote anything: the database has no schema yet.
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    try {
      expect((await db.query(`SELECT to_regclass('messages') AS t`)).rows[0]!.t).toBeNull();

      // What the stopped lowdb node holds, read from its files.
      const config = loadConfig(file);
      const lowStore = lowdbStoreOf(config, silentLogger(), systemClock);
      await lowStore.open({ readOnly: true });
      const lowMessages = await listMessages(lowStore);
      const lowRecipients = await listRecipients(lowStore);
      const lowEvents = await allEvents(lowStore);
      await lowStore.close();
      // (nodemailer writes the domain of an envelope address in lower case; the local part as given)
      expect(lowMessages.map((m) => m.queueId).sort()).toEqual([delivered, bounced, deferred].sort());
      expect(lowRecipients.map((r) => r.email).sort()).toEqual(['Alice.Smith@example.org', 'BOB@example.com', 'Complainer@Example.NET', 'Later.Person@example.org', 'Unknown.User@example.org']);
      const times = lowEvents.map((e) => e.time);
      const storeFiles = fingerprint(path.join(dataDir, 'store'));

      // --- the first run copies everything and says so -----------------------------------------
      const first = await runCli(['migrate', '--to', 'postgres', '--url', url, '--config', file], NO_ENV);
      expect(first.code, first.stderr).toBe(0);
      const out = first.stdout;
      console.log(`migrate, first run:\n${out}`);
      expect(out).toMatch(/^Copied the lowdb store of .* into PostgreSQL at postgres:/);
      expect(out).toMatch(/^ {2}messages: +3 copied$/m);
      expect(out).toMatch(/^ {2}recipients: +5 copied$/m);
      expect(out).toMatch(/^ {4}flagged invalid: +1 copied$/m);
      expect(out).toMatch(/^ {4}suppressed: +1 copied$/m);
      const iso = (t: number) => new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
      expect(out).toContain(`  events:              ${lowEvents.length} copied; they span ${iso(Math.min(...times))} to ${iso(Math.max(...times))}`);
      expect(out).toMatch(/^ {2}queued messages: +1 moved with their bodies into the shared queue$/m);
      // The bounced message's copy is kept for resend (it did not reach its recipient).
      expect(out).toMatch(/^ {2}copies for resend: +1 copied$/m);
      expect(out).toContain(`Next: set "store": { "engine": "postgres", "postgres": { "url": "..." } } in ${file} (or give the URL in REBOUND_PG_URL) and start Rebound.`);
      expect(out).not.toContain('already in PostgreSQL');
      // The lowdb store's files are as they were.
      expect(fingerprint(path.join(dataDir, 'store'))).toEqual(storeFiles);

      // In the database: the same records, and the queued message in the shared queue with its body.
      const pgCount = async (sql: string) => Number((await db.query<{ n: string }>(sql)).rows[0]!.n);
      expect(await pgCount('SELECT count(*) AS n FROM messages')).toBe(3);
      expect(await pgCount('SELECT count(*) AS n FROM recipients')).toBe(5);
      expect(await pgCount('SELECT count(*) AS n FROM events')).toBe(lowEvents.length);
      const queuedRows = await db.query<{ queue_id: string; attempts: Record<string, number> }>(
        `SELECT q.queue_id, q.state->'attempts' AS attempts FROM delivery_queue q JOIN message_bodies b USING (queue_id)`);
      expect(queuedRows.rows.map((r) => r.queue_id)).toEqual([deferred]);
      expect(Object.values(queuedRows.rows[0]!.attempts)[0]).toBeGreaterThanOrEqual(2);

      // --- the same configuration on PostgreSQL --------------------------------------------------
      writeConfig(file, { ...base, store: { engine: 'postgres', postgres: { url, nodeId: 'after-migrate', claimIntervalMs: 100 } } });
      const pgNode = await startNode(file, port, http);
      const flaggedAfter = await api<RecipientView>(http, `/api/recipients/${encodeURIComponent('UNKNOWN.USER@example.org')}`);
      expect(flaggedAfter.recipient).toEqual(flaggedBefore.recipient);
      expect(flaggedAfter.recipient).toMatchObject({ email: 'Unknown.User@example.org', invalid: true, lastStatus: 'bounced' });
      expect(flaggedAfter.history).toEqual(flaggedBefore.history);
      expect(flaggedAfter.history.some((e) => e.type === 'attempt' && e.code === 550 && e.enhanced === '5.1.1')).toBe(true);
      expect(flaggedAfter.messages.map((m) => m.queueId)).toEqual([bounced]);
      const suppressedAfter = await api<RecipientView>(http, `/api/recipients/${encodeURIComponent('complainer@example.NET')}`);
      expect(suppressedAfter.recipient).toEqual(suppressedBefore.recipient);
      expect(suppressedAfter.history).toEqual(suppressedBefore.history);
      // Refused at RCPT for another spelling, by the PostgreSQL node.
      await expect(send(port, { to: 'COMPLAINER@example.net' })).rejects.toThrow(/550 5\.7\.1 .*suppression list/);
      const flags = await cliJson<RecipientRecord[]>(['flags', '--json', '--config', file]);
      expect(flags.map((r) => r.email)).toEqual(['Unknown.User@example.org']);
      const delivery = (await api<{ message: MessageRecord }>(http, `/api/messages/${delivered}`)).message;
      expect(delivery).toEqual(lowMessages.find((m) => m.queueId === delivered));
      expect((await api<{ total: number }>(http, '/api/messages?total=true')).total).toBe(3);

      // The deferred message goes out once the upstream accepts it: exactly once.
      up.opts.rcpt = { unknown: up.opts.rcpt!.unknown! };
      await waitFor(async () => (await api<{ message: MessageRecord }>(http, `/api/messages/${deferred}`)).message.status === 'done', 20_000, 100);
      const later = (await api<{ message: MessageRecord }>(http, `/api/messages/${deferred}`)).message;
      expect(later.rcpts[0]).toMatchObject({ rcpt: 'Later.Person@example.org', status: 'delivered' });
      expect(later.rcpts[0]!.attempts).toBeGreaterThan(lowMessages.find((m) => m.queueId === deferred)!.rcpts[0]!.attempts);
      // The bounced message's copy came along: the PostgreSQL node can resend it.
      const resend = await fetch(`http://127.0.0.1:${http}/api/recipients/${encodeURIComponent('unknown.user@example.org')}/resend`, {
        method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ force: true }),
      });
      const resent = (await resend.json()) as { resent: Array<{ from: string }>; failed: unknown[] };
      expect(resent).toMatchObject({ resent: [{ from: bounced }], failed: [] });
      expect((await pgNode.terminate()).code).toBe(0);
      const toLater = up.received.filter((r) => r.to.some((t) => t.toLowerCase() === 'later.person@example.org'));
      expect(toLater.length).toBe(1);
      expect(await pgCount('SELECT count(*) AS n FROM delivery_queue')).toBe(0);

      // --- run again: nothing new, and what the PostgreSQL node did since is left alone -----------
      const again = await runCli(['migrate', '--to', 'postgres', '--url', url, '--config', file, '--json'], NO_ENV);
      expect(again.code, again.stderr).toBe(0);
      const r = JSON.parse(again.stdout) as MigrationReport & { nothingNew: boolean; next: string };
      expect(r.nothingNew).toBe(true);
      expect(r.messages).toEqual({ read: 3, added: 0 });
      expect(r.recipients).toEqual({ read: 5, added: 0 });
      expect(r.flagged).toEqual({ read: 1, added: 0 });
      expect(r.suppressed).toEqual({ read: 1, added: 0 });
      expect(r.events).toEqual({ read: lowEvents.length, added: 0 });
      // The lowdb spool no longer holds the message that moved.
      expect(r.queued).toEqual({ read: 0, added: 0 });
      expect(r.next).toMatch(/^store.engine is "postgres" in .* already: start Rebound/);
      const status = (await db.query<{ s: string }>(`SELECT record->>'status' AS s FROM messages WHERE queue_id = $1`, [deferred])).rows[0]!.s;
      expect(status).toBe('done');
      expect((await db.query<{ s: string }>(`SELECT record->>'lastStatus' AS s FROM recipients WHERE addr_key = 'later.person@example.org'`)).rows[0]!.s).toBe('delivered');
      expect(await pgCount('SELECT count(*) AS n FROM delivery_queue')).toBe(0);
      const human = await runCli(['migrate', '--to', 'postgres', '--url', url, '--config', file], NO_ENV);
      expect(human.stdout).toMatch(/^Nothing new to copy: PostgreSQL at .* holds everything the lowdb store of .* has\.$/m);
      expect(human.stdout).toMatch(/^ {2}messages: +0 copied, 3 already in PostgreSQL \(left as they are\)$/m);
      expect(fingerprint(path.join(dataDir, 'store'))).toEqual(storeFiles);
    } finally {
      await db.end();
    }
  });
});
