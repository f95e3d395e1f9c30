#!/usr/bin/env node
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { ConfigError, loadConfig, type Config } from './config.js';
import { Rebound, controlSocketPath, openStore } from './main.js';
import { recipientActions } from './control/actions.js';
import { sendControl } from './control/socket.js';
import { runParseCommand } from './returnpath/parse/cli.js';
import { Sandbox, SANDBOX_RECIPIENTS } from './sandbox/index.js';
import { LOG_FORMATS, ReconcileError, formatReconcileReport, parseSince, reconcile, type LogFormat, type ReconcileResult } from './reconcile/index.js';
import { diagnose, formatFindings, type Finding } from './diagnose/index.js';
import { StoreCorruptError, type Store } from './store/index.js';
import type { MessageRecord, RecipientRecord } from './types.js';
import { systemClock } from './util/clock.js';
import { createLogger, silentLogger, stderrLogger } from './util/logger.js';
import { hashPassword } from './util/password.js';
import { describeEvent } from './recipients/index.js';
import { tokenHash } from './http/index.js';
import { MigrateError, migrateDataDir, migrationUrl, redactUrl } from './migrate.js';
import type { MigrationProgress } from './control/migrate-store.js';
import { formatMigrationReport, nextStep, nothingNew } from './control/migrate-report.js';
import { categoryInfo } from './classify/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const DEFAULT_CONFIG = path.resolve(here, '..', 'config', 'default.json');

function configPath(opt?: string): string {
  return opt ?? process.env.REBOUND_CONFIG ?? DEFAULT_CONFIG;
}

function readConfig(opt?: string): Config {
  const file = configPath(opt);
  if (!existsSync(file)) throw new ConfigError(`configuration file ${file} not found (use --config FILE or REBOUND_CONFIG)`);
  return loadConfig(file);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

const n = (x: number) => x.toLocaleString('en-US');

function print(json: boolean, value: unknown, human: () => string): void {
  process.stdout.write(json ? JSON.stringify(value, null, 2) + '\n' : human() + '\n');
}

/** Runs `read` on the store opened read-only, and closes it (a PostgreSQL pool would keep the process alive). */
async function withReadOnlyStore<T>(config: Config, read: (store: Store) => Promise<T>): Promise<T> {
  const store = openStore(config, silentLogger(), systemClock);
  await store.open({ readOnly: true });
  try {
    return await read(store);
  } finally {
    await store.close();
  }
}

const program = new Command();
program.name('rebound').description('Self-hosted SMTP relay and bounce server').showHelpAfterError();

program
  .command('start')
  .description('start the relay (submission server and delivery)')
  .option('-c, --config <file>', 'configuration file (default: config/default.json, or REBOUND_CONFIG)')
  .action(async (opts: { config?: string }) => {
    const config = readConfig(opts.config);
    const logger = createLogger(config.log.level);
    // Handlers go in before the ports open: a SIGTERM during start-up still shuts down cleanly.
    let app: Rebound | null = null;
    let requested: string | null = null;
    let stopping = false;
    const stop = (signal: string) => {
      if (!app) {
        requested = signal;
        return;
      }
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      app.stop().then(() => process.exit(0), (err: Error) => {
        logger.error({ err: err.message }, 'shutdown failed');
        process.exit(1);
      });
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    app = await Rebound.start(config, { logger });
    if (app.signInUrl) {
      process.stderr.write(`\nDashboard: open ${app.signInUrl}\n  (signs you in; valid until this process stops, never stored. http.tokens is empty: make a lasting token with \`rebound new-token\`)\n\n`);
    }
    if (requested) stop(requested);
  });

program
  .command('hash-password')
  .description('print an scrypt hash for a submission user or an HTTP token (reads stdin when no argument)')
  .argument('[password]')
  .action(async (password?: string) => {
    const pw = password ?? (await readStdin());
    if (!pw) throw new ConfigError('empty password');
    process.stdout.write((await hashPassword(pw)) + '\n');
  });

program
  .command('new-token')
  .description('make a random HTTP API token and print it with the hash to put in http.tokens')
  .option('--json', 'JSON output')
  .action(async (opts: { json?: boolean }) => {
    const { randomBytes } = await import('node:crypto');
    const token = randomBytes(32).toString('base64url');
    // 256 random bits need no slow hash: SHA-256 keeps token checks off the thread pool.
    const hash = tokenHash(token);
    print(!!opts.json, { token, hash }, () => `token (give to the API user, shown once): ${token}\nhash (add to http.tokens):             ${hash}`);
  });

program
  .command('status')
  .description('show a recipient: flag, reason, last outcome and recent attempts')
  .argument('<email>')
  .option('-c, --config <file>')
  .option('--json', 'JSON output')
  .action(async (email: string, opts: { config?: string; json?: boolean }) => {
    const config = readConfig(opts.config);
    const { record, events } = await withReadOnlyStore(config, async (store) => ({
      record: (await store.getRecipient(email)) ?? null, events: await store.eventsForRecipient(email, 20),
    }));
    print(!!opts.json, { email, record, events }, () => {
      if (!record) return `${email}: no record (nothing sent to it yet)`;
      const lines = [
        `${record.email}  ${record.invalid ? 'INVALID' : 'ok'}${record.suppressed ? `  SUPPRESSED (${record.suppressedReason ?? ''})` : ''}  last: ${record.lastStatus ?? '-'}  reason: ${record.reason ?? '-'}  category: ${record.category ?? '-'}`,
        ...(record.category ? [`  why: ${categoryInfo(record.category).why}`, `  what to do: ${categoryInfo(record.category).todo}`] : []),
        `  consecutive failures: ${record.consecutiveFailures}  delivered: ${record.deliveredCount}  failed: ${record.failedCount}`,
        ...(record.awaiting ? [`  flag waits for ${record.awaiting.queueId} (accepted by the smarthost ${new Date(record.awaiting.since).toISOString()}): cleared by its success DSN or no bounce within the bounce window`] : []),
        ...(record.clearedBy ? [`  last flag cleared by ${record.clearedBy}${record.clearedAt ? ` at ${new Date(record.clearedAt).toISOString()}` : ''}`] : []),
      ];
      for (const e of events) lines.push(`  ${describeEvent(e)}`);
      return lines.join('\n');
    });
  });

const queue = program.command('queue').description('the delivery queue: list (default), retry, delete');

async function listQueue(opts: { config?: string; json?: boolean }): Promise<void> {
  const config = readConfig(opts.config);
  const messages: MessageRecord[] = [];
  await withReadOnlyStore(config, async (store) => {
    for await (const m of store.scanMessages({ status: 'queued' })) messages.push(m);
  });
  const queued = messages.map((m) => ({
    queueId: m.queueId, messageId: m.messageId, from: m.from, receivedAt: new Date(m.receivedAt).toISOString(),
    nextAttemptAt: m.nextAttemptAt ? new Date(m.nextAttemptAt).toISOString() : null,
    rcpts: m.rcpts.filter((r) => r.status === 'queued' || r.status === 'deferred').map((r) => ({ rcpt: r.rcpt, status: r.status, attempts: r.attempts, lastResponse: r.lastResponse })),
  }));
  print(!!opts.json, queued, () =>
    queued.length === 0 ? 'queue is empty' : table(['queue id', 'next attempt', 'recipients'], queued.map((q) => [
      q.queueId, q.nextAttemptAt ?? 'now', q.rcpts.map((r) => `${r.rcpt} (${r.status}, ${r.attempts} tries${r.lastResponse ? `: ${r.lastResponse.slice(0, 60)}` : ''})`).join(', '),
    ])));
}

queue.command('list', { isDefault: true }).description('messages still queued, with their next attempt time')
  .option('-c, --config <file>').option('--json', 'JSON output').action(listQueue);

queue.command('retry').description('try a queued message (or all) now instead of waiting for its schedule')
  .argument('[queueId]').option('-c, --config <file>').option('--json', 'JSON output')
  .action(async (queueId: string | undefined, opts: { config?: string; json?: boolean }) => {
    const r = await controlOrFail(opts.config, 'retry', queueId ? [queueId] : []);
    print(!!opts.json, r, () => `scheduled ${(r as { scheduled: number }).scheduled} message(s) for delivery now`);
  });

queue.command('delete').description('take a message out of the queue; its unfinished recipients end as expired')
  .argument('<queueId>').option('-c, --config <file>').option('--json', 'JSON output')
  .action(async (queueId: string, opts: { config?: string; json?: boolean }) => {
    const r = (await controlOrFail(opts.config, 'delete', [queueId])) as { removed: boolean };
    print(!!opts.json, r, () => (r.removed ? `${queueId} deleted` : `${queueId} is not queued (or is being delivered right now)`));
  });

/** Sends a command to the running server; these commands need it. */
async function controlOrFail(configFile: string | undefined, cmd: string, args: string[]): Promise<unknown> {
  const config = readConfig(configFile);
  const r = await sendControl(controlSocketPath(config), cmd, args);
  if (!r) throw new Error(`Rebound is not running (\`${cmd}\` acts on the running server's queue)`);
  if (!r.ok) throw new Error(r.error ?? `${cmd} failed`);
  return r.result;
}

/** A plain text table: columns padded to their widest cell. */
function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.min(60, Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length))));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

program
  .command('flags')
  .description('list recipients flagged invalid (and suppressed ones with --suppressed)')
  .option('-c, --config <file>')
  .option('--suppressed', 'list suppressed recipients instead')
  .option('--json', 'JSON output')
  .action(async (opts: { config?: string; json?: boolean; suppressed?: boolean }) => {
    const config = readConfig(opts.config);
    const list: RecipientRecord[] = [];
    await withReadOnlyStore(config, async (store) => {
      for await (const r of store.scanRecipients(opts.suppressed ? { suppressed: true } : { invalid: true })) list.push(r);
    });
    print(!!opts.json, list, () => list.length === 0 ? `no ${opts.suppressed ? 'suppressed' : 'flagged'} recipients` : table(
      ['recipient', 'reason', 'category', 'since', 'failures', 'last reply'],
      list.map((r) => [r.email, r.reason ?? '-', r.category ?? '-', new Date((opts.suppressed ? r.suppressedAt : r.flaggedAt) ?? 0).toISOString(), String(r.consecutiveFailures), (r.lastResponse ?? '').slice(0, 80)]),
    ));
  });

program
  .command('send')
  .description('send a test message through the submission port')
  .requiredOption('--to <addresses...>', 'recipients')
  .option('--from <address>', 'sender', 'rebound-test@localhost')
  .option('--subject <text>', 'subject', 'Rebound test message')
  .option('--text <text>', 'body', 'This is a test message sent with `rebound send`.')
  .option('--user <user>', 'AUTH user (omit when your address is in trustedNetworks)')
  .option('--pass <pass>', 'AUTH password (or REBOUND_PASS)')
  .option('-c, --config <file>')
  .option('--json', 'JSON output')
  .action(async (opts: { to: string[]; from: string; subject: string; text: string; user?: string; pass?: string; config?: string; json?: boolean }) => {
    const config = readConfig(opts.config);
    const { default: nodemailer } = await import('nodemailer');
    const pass = opts.pass ?? process.env.REBOUND_PASS;
    const t = nodemailer.createTransport({
      host: config.submission.host === '0.0.0.0' ? '127.0.0.1' : config.submission.host, port: config.submission.port,
      secure: false, tls: { rejectUnauthorized: false }, ...(opts.user ? { auth: { user: opts.user, pass: pass ?? '' } } : {}),
    });
    const info = await t.sendMail({ from: opts.from, to: opts.to, subject: opts.subject, text: opts.text });
    t.close();
    const queueId = /queued as (\S+)/.exec(info.response)?.[1] ?? null;
    print(!!opts.json, { queueId, response: info.response, accepted: info.accepted, rejected: info.rejected }, () => `${info.response}\naccepted: ${(info.accepted as string[]).join(', ')}`);
  });

/**
 * Runs a recipient action in the running server (over its control socket) or, when none is
 * running, directly on the store files.
 */
async function recipientCommand(cmd: 'clear' | 'suppress' | 'unsuppress', email: string, extra: string[], opts: { config?: string; json?: boolean }): Promise<void> {
  const config = readConfig(opts.config);
  // As typed: the store finds any spelling, and a new record shows the address as written.
  const addr = email;
  const remote = await sendControl(controlSocketPath(config), cmd, [addr, ...extra]);
  let result: unknown;
  if (remote) {
    if (!remote.ok) throw new Error(remote.error ?? 'the server refused the command');
    result = remote.result;
  } else {
    const store = openStore(config, silentLogger(), systemClock);
    await store.open();
    const actions = recipientActions(store, () => Date.now());
    result = cmd === 'suppress' ? await actions.suppress(addr, extra[0] ?? 'suppressed by operator') : await actions[cmd](addr);
    await store.close();
  }
  print(!!opts.json, { email: addr, record: result ?? null }, () => {
    if (!result) return `${addr}: no record`;
    const r = result as { invalid: boolean; suppressed: boolean };
    return `${addr}: ${r.invalid ? 'flagged invalid' : 'not flagged'}, ${r.suppressed ? 'suppressed' : 'not suppressed'}`;
  });
}

for (const [cmd, desc] of [
  ['clear', 'clear the invalid-email flag of a recipient'],
  ['unsuppress', 'lift the suppression of a recipient (after a complaint or a manual suppress)'],
] as const) {
  program.command(cmd).description(desc).argument('<email>').option('-c, --config <file>').option('--json', 'JSON output')
    .action((email: string, opts: { config?: string; json?: boolean }) => recipientCommand(cmd, email, [], opts));
}
program.command('suppress').description('put a recipient on the suppression list').argument('<email>').argument('[reason]')
  .option('-c, --config <file>').option('--json', 'JSON output')
  .action((email: string, reason: string | undefined, opts: { config?: string; json?: boolean }) => recipientCommand('suppress', email, reason ? [reason] : [], opts));

program
  .command('resend')
  .description('resend the messages to an address that did not get through (needs the running server)')
  .argument('<email>')
  .option('-c, --config <file>')
  .option('--json', 'JSON output')
  .action(async (email: string, opts: { config?: string; json?: boolean }) => {
    const config = readConfig(opts.config);
    const r = await sendControl(controlSocketPath(config), 'resend', [email]);
    if (!r) throw new Error('Rebound is not running (resend needs the running server to queue the messages)');
    if (!r.ok) throw new Error(r.error ?? 'resend failed');
    const list = r.result as Array<{ from: string; queueId: string }>;
    print(!!opts.json, list, () => (list.length ? list.map((x) => `${x.from} -> resent as ${x.queueId}`).join('\n') : `nothing to resend to ${email}`));
  });

program
  .command('migrate')
  .description('copy this data directory\'s lowdb store and queue into PostgreSQL (stop the server first)')
  .requiredOption('--to <engine>', 'the store to copy into: postgres')
  .option('--url <url>', 'PostgreSQL URL (default: REBOUND_PG_URL, else store.postgres.url)')
  .option('-c, --config <file>')
  .option('--json', 'JSON output')
  .action(async (opts: { to: string; url?: string; config?: string; json?: boolean }) => {
    if (opts.to !== 'postgres') throw new ConfigError(`--to ${opts.to}: the only store to migrate to is postgres`);
    const file = configPath(opts.config);
    const config = readConfig(opts.config);
    const url = migrationUrl(config, opts.url);
    // Progress for big stores, at most every 2 s, on stderr (stdout is the report).
    const started = Date.now();
    let shown = started;
    const progress: MigrationProgress = (stage, r) => {
      if (Date.now() - shown < 2_000) return;
      shown = Date.now();
      const what = stage === 'store' ? `${n(r.messages.read)} messages, ${n(r.recipients.read)} recipients, ${n(r.events.read)} events`
        : stage === 'queue' ? `${n(r.queued.read)} queued messages` : `${n(r.retained.read)} copies for resend`;
      process.stderr.write(`migrate: ${Math.round((shown - started) / 1000)} s: ${what} read so far\n`);
    };
    const report = await migrateDataDir(config, { url, logger: stderrLogger('warn'), clock: systemClock, progress });
    const context = { dataDir: config.dataDir, url: redactUrl(url), configFile: path.resolve(file), engine: config.store.engine, urlGiven: !!opts.url };
    print(!!opts.json, { ...context, ...report, nothingNew: nothingNew(report), next: nextStep(context) }, () => formatMigrationReport(report, context));
  });

program
  .command('parse')
  .description('parse bounce / complaint / auto-reply files and print what they say')
  .argument('<files...>')
  .option('--jsonl', 'one JSON line per file (the format ../shared/corpus/score.mjs reads)')
  .action(async (files: string[], opts: { jsonl?: boolean }) => runParseCommand(files, opts));

program.command('reconcile')
  .description('match delivery logs against recorded failures: clears flags the logs contradict, counts server response mismatches')
  .argument('<file...>', `delivery logs (${LOG_FORMATS.join(', ')}); gzip is read as is`)
  .option('-c, --config <file>')
  .option('--format <format>', `skip detection: ${LOG_FORMATS.join(', ')}`)
  .option('--since <time>', 'ignore log records before this: a date (2024-05-01T10:00Z) or an age (12h, 7d)')
  .option('--dry-run', 'show what would change; write nothing')
  .option('--json', 'JSON output')
  .action(async (files: string[], opts: { config?: string; format?: string; since?: string; dryRun?: boolean; json?: boolean }) => {
    const config = readConfig(opts.config);
    if (opts.format && !(LOG_FORMATS as readonly string[]).includes(opts.format)) throw new ConfigError(`--format must be one of ${LOG_FORMATS.join(', ')}`);
    const o = {
      files: files.map((f) => path.resolve(f)), ...(opts.format ? { format: opts.format as LogFormat } : {}),
      ...(opts.since ? { since: parseSince(opts.since).toISOString() } : {}), dryRun: !!opts.dryRun,
    };
    if (!opts.json) process.stderr.write(`reconciling ${o.files.length} file(s)...\n`);
    // The running server owns the store; a second writer would lose updates.
    const remote = await sendControl(controlSocketPath(config), 'reconcile', [JSON.stringify(o)], 600_000);
    let result: ReconcileResult;
    if (remote) {
      if (!remote.ok) throw new Error(remote.error ?? 'reconcile failed in the server');
      result = remote.result as ReconcileResult;
    } else {
      const store = openStore(config, silentLogger(), systemClock);
      await store.open({ readOnly: o.dryRun });
      try {
        result = await reconcile(store, o.files, {
          ...(o.format ? { format: o.format } : {}), ...(o.since ? { since: new Date(o.since) } : {}), dryRun: o.dryRun,
          relays: config.reconcile.relays, skewMs: config.reconcile.skewMs,
        });
      } finally {
        await store.close();
      }
    }
    print(!!opts.json, result, () => formatReconcileReport(result));
    if (result.files.some((f) => f.error)) process.exitCode = 1;
  });

program.command('diagnose')
  .description('what is wrong and where to look: SMTP configuration, response mismatches, blocked domains, complaints, backlog, persistent flags')
  .option('-c, --config <file>')
  .option('--window <age>', 'how far back to look: 30m, 6h, 1d', '1h')
  .option('--json', 'JSON output')
  .action(async (opts: { config?: string; window: string; json?: boolean }) => {
    const config = readConfig(opts.config);
    const now = Date.now();
    const windowMs = now - parseSince(opts.window, now).getTime();
    const remote = await sendControl(controlSocketPath(config), 'diagnose', [String(windowMs)]);
    const findings: Finding[] = remote?.ok ? (remote.result as Finding[]) : await withReadOnlyStore(config, (store) => diagnose(store, { now, windowMs }));
    print(!!opts.json, findings, () => formatFindings(findings));
  });

program
  .command('sandbox')
  .description('run a local SMTP server that plays the outside world (bounces, complaints, auto-replies)')
  .option('-c, --config <file>', 'Rebound configuration (for the return-path address reports are sent to)')
  .option('--host <host>', 'listen address', '127.0.0.1')
  .option('--port <port>', 'listen port (point delivery.smarthost at it)', '2527')
  .option('--delay <ms>', 'delay before asynchronous reports', '1000')
  .action(async (opts: { config?: string; host: string; port: string; delay: string }) => {
    const config = readConfig(opts.config);
    const logger = createLogger('info');
    const sandbox = new Sandbox({
      host: opts.host, port: Number(opts.port), name: 'sandbox.test', reportDelayMs: Number(opts.delay), logger,
      returnPath: { host: config.returnPath.host, port: config.returnPath.port },
    });
    const port = await sandbox.start();
    const cfg = opts.config ? ` --config ${opts.config}` : '';
    process.stderr.write(`sandbox listening on ${opts.host}:${port}; recipients (any domain):\n` +
      Object.entries(SANDBOX_RECIPIENTS).map(([k, v]) => `  ${k}@...  ${v}`).join('\n') + '\n\n' +
      `Walkthrough (in another terminal, from this folder):\n` +
      `  node dist/cli.js start${cfg} &        # prints a dashboard sign-in link\n` +
      `  node dist/cli.js send${cfg} --to ${Object.keys(SANDBOX_RECIPIENTS).map((r) => `${r}@example.com`).join(' ')}\n` +
      `  node dist/cli.js flags${cfg}                # bounce@ and late-bounce@: Invalid Email (after a few seconds)\n` +
      `  node dist/cli.js flags --suppressed${cfg}   # complaint@: Spam, suppressed\n` +
      `  node dist/cli.js status late-bounce@example.com${cfg}\n` +
      `  node dist/cli.js queue${cfg}                # full@ is deferred and retried\n` +
      `  node dist/cli.js send${cfg} --to complaint@example.com   # 550 5.7.1: suppressed\n` +
      `  node dist/cli.js unsuppress complaint@example.com${cfg}\n`);
    const stop = () => void sandbox.stop().then(() => process.exit(0));
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });

program.parseAsync(process.argv).catch((err: Error) => {
  if (err instanceof ConfigError || err instanceof StoreCorruptError || err instanceof ReconcileError || err instanceof MigrateError) {
    process.stderr.write(`rebound: ${err.message}\n`);
    process.exit(2);
  }
  // Expected failures (server not running, bad address) read better without a stack trace.
  process.stderr.write(`rebound: ${process.env.REBOUND_DEBUG ? err.stack ?? err.message : err.message}\n`);
  process.exit(1);
});
