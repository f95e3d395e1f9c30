// A private Sendmail 8 on loopback, run from the binary `ensureSendmail()` unpacked into the cache:
// sendmail.cf is built with m4 from Debian's sendmail-cf macros, with its own QueueDirectory,
// alias file, pid and status files, daemon port, and every message relayed to one smart host.
//   sendmail -C DIR/sendmail.cf -bD -qINTERVAL      (-bD: daemon in the foreground, our child)
// nss_wrapper gives it its host name (it sleeps a minute when it cannot qualify it) and its users.
// Sendmail logs only to syslog; there is no log file (and no /dev/log here), so `logPath` is null.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, run, waitForPort } from '../../bench/lib/util.mjs';
import { nssEnv } from './nss.mjs';
import { makeTraversable } from './postfix.mjs';
import { spawnDaemon } from './process.mjs';

function mc(o) {
  const f = (n) => path.join(o.dir, n);
  return `divert(-1)
divert(0)dnl
include(\`${path.join(o.sendmail.cfDir, 'm4', 'cf.m4')}')dnl
VERSIONID(\`rebound private test instance ${o.name}')dnl
OSTYPE(\`linux')dnl
define(\`confDOMAIN_NAME', \`${o.hostname}')dnl
define(\`confDONT_PROBE_INTERFACES', \`True')dnl
dnl The instance lives under a temp dir; its world-writable /tmp ancestor is not a concern here.
define(\`confDONT_BLAME_SENDMAIL', \`GroupWritableDirPathSafe,MapInUnsafeDirPath')dnl
define(\`QUEUE_DIR', \`${f('queue')}')dnl
define(\`confPID_FILE', \`${f('sendmail.pid')}')dnl
define(\`STATUS_FILE', \`${f('statistics')}')dnl
define(\`ALIAS_FILE', \`${f('aliases')}')dnl
define(\`confHELP_FILE', \`${f('helpfile')}')dnl
define(\`confSERVICE_SWITCH_FILE', \`${f('service.switch')}')dnl
define(\`confHOSTS_FILE', \`${f('hosts')}')dnl
dnl Sendmail stops accepting and queueing when the load average is high; this machine is shared.
define(\`confQUEUE_LA', \`1000')dnl
define(\`confREFUSE_LA', \`1000')dnl
define(\`confDELAY_LA', \`0')dnl
define(\`confTO_QUEUERETURN', \`${o.queueReturn}')dnl
define(\`confTO_QUEUEWARN', \`4h')dnl
define(\`confMIN_QUEUE_AGE', \`0')dnl
define(\`SMART_HOST', \`esmtp:[${o.smartHost.host}]')dnl
define(\`ESMTP_MAILER_ARGS', \`TCP $h ${o.smartHost.port}')dnl
DAEMON_OPTIONS(\`Port=${o.port}, Addr=127.0.0.1, Name=MTA')dnl
FEATURE(\`accept_unresolvable_domains')dnl
FEATURE(\`no_default_msa')dnl
${o.extraMc}MAILER(\`local')dnl
MAILER(\`smtp')dnl
`;
}

/**
 * Starts a private Sendmail. Options:
 *   sendmail     from ensureSendmail(): { bin, m4, cfDir, lib, nssWrapper }
 *   dir, name    folder for everything; the host name is NAME.test (its local domain)
 *   port         SMTP port on 127.0.0.1 (default: a free one)
 *   smartHost    '127.0.0.1:PORT': every non-local recipient (and every DSN) is relayed there
 *   queueReturn  confTO_QUEUERETURN, how long a deferred message is kept (default '5d')
 *   extraMc      more m4 lines for the .mc (FEATUREs, defines)
 * Clients on 127.0.0.1 may relay (Sendmail's default for the local host).
 * Returns { name, dir, configPath, version, ports: { smtp }, logPath: null, pid, sendmail(args), stop() }.
 */
export async function startSendmail(opts) {
  const { sendmail, dir, name = 'sendmail', queueReturn = '5d', extraMc = '' } = opts;
  if (!sendmail?.bin) throw new Error('startSendmail needs { sendmail } from ensureSendmail()');
  const port = opts.port ?? (await freePort());
  const [shHost, shPort] = (opts.smartHost ?? '127.0.0.1:25').split(':');
  const hostname = `${name}.test`;
  mkdirSync(path.join(dir, 'queue'), { recursive: true, mode: 0o700 });
  makeTraversable(dir);
  const env = nssEnv(sendmail, dir, { hostname });
  writeFileSync(path.join(dir, 'aliases'), 'postmaster: root\nMAILER-DAEMON: postmaster\n');
  writeFileSync(path.join(dir, 'helpfile'), '');
  writeFileSync(path.join(dir, 'statistics'), '');
  writeFileSync(path.join(dir, 'service.switch'), 'hosts files dns\naliases files\n');
  const mcPath = path.join(dir, 'sendmail.mc');
  writeFileSync(mcPath, mc({ sendmail, dir, name, hostname, port, queueReturn, extraMc, smartHost: { host: shHost, port: shPort ?? '25' } }));
  const cf = await run(sendmail.m4, [`-D_CF_DIR_=${sendmail.cfDir}/`, mcPath], { timeoutMs: 30_000 });
  if (cf.code !== 0) throw new Error(`m4 ${mcPath} failed: ${cf.stderr}`);
  const configPath = path.join(dir, 'sendmail.cf');
  writeFileSync(configPath, cf.stdout, { mode: 0o644 });
  const sm = (args, timeoutMs = 30_000) => run(sendmail.bin, ['-C', configPath, ...args], { env, timeoutMs });
  const aliases = await sm(['-bi']);
  if (aliases.code !== 0) throw new Error(`sendmail -bi (${name}) failed: ${aliases.stderr || aliases.stdout}`);
  const v = await sm(['-d0.1', '-bt'], 10_000);
  const version = /Version (\S+)/.exec(v.stdout)?.[1] ?? null;

  const daemon = spawnDaemon(sendmail.bin, ['-C', configPath, '-bD', '-q2s'], env);
  const instance = {
    name, dir, configPath, version, logPath: null, pid: daemon.pid, ports: { smtp: port }, env,
    /** Runs this instance's binary with its config (`['-bp']` lists the queue, `['-q', '-v']` runs it). */
    sendmail: sm,
    stop: daemon.stop,
  };
  try {
    await waitForPort(port, 15_000, () => (daemon.gone() ? `sendmail ${name} exited: ${daemon.output().trim()}` : null));
  } catch (err) {
    await instance.stop();
    throw err;
  }
  return instance;
}
