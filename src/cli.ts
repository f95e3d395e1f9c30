#!/usr/bin/env node
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { ConfigError, loadConfig, type Config } from './config.js';
import { Rebound, controlSocketPath, openStore } from './main.js';
import { recipientActions } from './control/actions.js';
import { sendControl } from './control/socket.js';
import { parseFileToJsonl } from './returnpath/index.js';
import { Sandbox, SANDBOX_RECIPIENTS } from './sandbox/index.js';
import { StoreCorruptError } from './store/index.js';
import { systemClock } from './util/clock.js';
import { createLogger, silentLogger } from './util/logger.js';
import { hashPassword } from './util/password.js';
import { describeEvent } from './recipients/index.js';

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

function print(json: boolean, value: unknown, human: () => string): void {
  process.stdout.write(json ? JSON.stringify(value, null, 2) + '\n' : human() + '\n');
}

async function openReadOnlyStore(config: Config) {
  const store = openStore(config, silentLogger(), systemClock);
  await store.open({ readOnly: true });
  return store;
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
    const app = await Rebound.start(config, { logger });
    let stopping = false;
    const stop = (signal: string) => {
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
  .command('status')
  .description('show a recipient: flag, reason, last outcome and recent attempts')
  .argument('<email>')
  .option('-c, --config <file>')
  .option('--json', 'JSON output')
  .action(async (email: string, opts: { config?: string; json?: boolean }) => {
    const config = readConfig(opts.config);
    const store = await openReadOnlyStore(config);
    const key = email.toLowerCase();
    const record = store.getRecipient(key) ?? store.getRecipient(email) ?? null;
    const events = store.eventsForRecipient(record?.email ?? email, 20);
    print(!!opts.json, { email, record, events }, () => {
      if (!record) return `${email}: no record (nothing sent to it yet)`;
      const lines = [
        `${record.email}  ${record.invalid ? 'INVALID' : 'ok'}  last: ${record.lastStatus ?? '-'}  reason: ${record.reason ?? '-'}  category: ${record.category ?? '-'}`,
        `  consecutive failures: ${record.consecutiveFailures}  delivered: ${record.deliveredCount}  failed: ${record.failedCount}`,
      ];
      for (const e of events) lines.push(`  ${describeEvent(e)}`);
      return lines.join('\n');
    });
  });

program
  .command('queue')
  .description('list messages still queued, with their next attempt time')
  .option('-c, --config <file>')
  .option('--json', 'JSON output')
  .action(async (opts: { config?: string; json?: boolean }) => {
    const config = readConfig(opts.config);
    const store = await openReadOnlyStore(config);
    const queued = store.listMessages({ status: 'queued' }).map((m) => ({
      queueId: m.queueId, messageId: m.messageId, from: m.from, receivedAt: new Date(m.receivedAt).toISOString(),
      nextAttemptAt: m.nextAttemptAt ? new Date(m.nextAttemptAt).toISOString() : null,
      rcpts: m.rcpts.filter((r) => r.status === 'queued' || r.status === 'deferred').map((r) => ({ rcpt: r.rcpt, status: r.status, attempts: r.attempts, lastResponse: r.lastResponse })),
    }));
    print(!!opts.json, queued, () =>
      queued.length === 0 ? 'queue is empty' : queued.map((q) => `${q.queueId}  next ${q.nextAttemptAt ?? 'now'}  ${q.rcpts.map((r) => `${r.rcpt} (${r.status}, ${r.attempts} tries)`).join(', ')}`).join('\n'));
  });

/**
 * Runs a recipient action in the running server (over its control socket) or, when none is
 * running, directly on the store files.
 */
async function recipientCommand(cmd: 'clear' | 'suppress' | 'unsuppress', email: string, extra: string[], opts: { config?: string; json?: boolean }): Promise<void> {
  const config = readConfig(opts.config);
  const addr = email.toLowerCase();
  const remote = await sendControl(controlSocketPath(config), cmd, [addr, ...extra]);
  let result: unknown;
  if (remote) {
    if (!remote.ok) throw new Error(remote.error ?? 'the server refused the command');
    result = remote.result;
  } else {
    const store = openStore(config, silentLogger(), systemClock);
    await store.open();
    const actions = recipientActions(store, () => Date.now());
    result = cmd === 'suppress' ? actions.suppress(addr, extra[0] ?? 'suppressed by operator') : actions[cmd](addr);
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
    const r = await sendControl(controlSocketPath(config), 'resend', [email.toLowerCase()]);
    if (!r) throw new Error('Rebound is not running (resend needs the running server to queue the messages)');
    if (!r.ok) throw new Error(r.error ?? 'resend failed');
    const list = r.result as Array<{ from: string; queueId: string }>;
    print(!!opts.json, list, () => (list.length ? list.map((x) => `${x.from} -> resent as ${x.queueId}`).join('\n') : `nothing to resend to ${email}`));
  });

program
  .command('parse')
  .description('parse bounce / complaint / auto-reply files and print what they say')
  .argument('<files...>')
  .option('--jsonl', 'one JSON line per file (the format ../shared/corpus/score.mjs reads)')
  .action(async (files: string[], opts: { jsonl?: boolean }) => {
    for (const f of files) {
      const line = await parseFileToJsonl(f);
      if (opts.jsonl) process.stdout.write(JSON.stringify(line) + '\n');
      else {
        process.stdout.write(`${f}: ${line.results.length ? '' : 'not a bounce'}${line.error ? ` (${line.error})` : ''}\n`);
        for (const r of line.results) process.stdout.write(`  ${r.rcpt || '-'}  ${r.reason}  ${r.status || '-'} ${r.replycode || ''}  ${r.category}${r.hardbounce ? '  HARD' : ''}  [${r.decodedby}]  ${r.diagnostic.slice(0, 120)}\n`);
      }
    }
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
    process.stderr.write(`sandbox listening on ${opts.host}:${port}; recipients (any domain):\n` +
      Object.entries(SANDBOX_RECIPIENTS).map(([k, v]) => `  ${k}@...  ${v}`).join('\n') + '\n');
    const stop = () => void sandbox.stop().then(() => process.exit(0));
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });

program.parseAsync(process.argv).catch((err: Error) => {
  if (err instanceof ConfigError || err instanceof StoreCorruptError) {
    process.stderr.write(`rebound: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`rebound: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
