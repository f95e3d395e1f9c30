// A private Exim 4 instance on loopback, run from the binary `ensureExim()` unpacked into the cache:
// `exim4 -C DIR/exim.conf -bdf -qINTERVAL` with its own spool_directory, log_file_path and port.
//
// Running an unpacked Exim as root needs three things, all kept inside DIR:
// - its compiled-in user "Debian-exim" must exist: nss_wrapper (LD_PRELOAD) answers from DIR/passwd;
// - the environment must survive Exim's re-execs (delivery, bounces): keep_environment lists it;
// - exim_path points at the unpacked binary, so re-execs do not look for /usr/sbin/exim4.
// The config file is owned by root and not writable by others, which Exim checks.
//
//   const ex = await startExim({ dir, name: 'hop', exim: await ensureExim(),
//     routes: { 'b.test': '127.0.0.1:2525' }, localDomains: ['x.test'], users: ['known'] });
//   ex.ports.smtp; ex.logPath (mainlog); ex.rejectLogPath; await ex.stop();
import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, run } from '../../bench/lib/util.mjs';
import { nssEnv } from './nss.mjs';
import { makeTraversable, waitForText } from './postfix.mjs';
import { spawnDaemon } from './process.mjs';

/** uid/gid the private passwd file gives the Exim user (no such account exists on the system). */
export const EXIM_UID = 64990;

function listOf(xs) {
  return xs.length ? xs.join(' : ') : '';
}

/**
 * The configuration text. Sections can be replaced whole (`acl`, `routers`, `transports`, `retry`);
 * the defaults give: local domains delivered to DIR/mail/LOCALPART for `users`, `routes` sent by SMTP
 * to fixed loopback hosts, everything else looked up in DNS, relaying for 127.0.0.1 only.
 */
export function eximConfig(o) {
  const routeDomains = Object.keys(o.routes);
  const main = {
    exim_path: o.bin,
    primary_hostname: `${o.name}.test`,
    qualify_domain: `${o.name}.test`,
    spool_directory: path.join(o.dir, 'spool'),
    log_file_path: path.join(o.dir, 'log', '%slog'),
    pid_file_path: path.join(o.dir, 'exim.pid'),
    daemon_smtp_ports: String(o.port),
    local_interfaces: '<; 127.0.0.1',
    keep_environment: 'LD_PRELOAD : LD_LIBRARY_PATH : NSS_WRAPPER_PASSWD : NSS_WRAPPER_GROUP',
    never_users: 'root',
    host_lookup: '',
    tls_advertise_hosts: '',
    acl_smtp_rcpt: 'acl_check_rcpt',
    acl_smtp_data: 'acl_check_data',
    log_selector: '+smtp_confirmation +received_recipients +delivery_size +outgoing_port +queue_time +deliver_time -queue_run',
    delay_warning: '',
    ...o.main,
  };
  const mainText = [
    `domainlist local_domains = ${listOf(o.localDomains)}`,
    `domainlist route_domains = ${listOf(routeDomains)}`,
    `hostlist relay_from_hosts = <; ${(o.relayFromHosts ?? ['127.0.0.1']).join(' ; ')}`,
    ...Object.entries(main).map(([k, v]) => `${k} = ${v}`),
  ].join('\n');
  const acl = o.acl ?? `
acl_check_rcpt:
  accept  hosts = :
${o.rcptAcl ?? ''}
  deny    domains = +local_domains
          !verify = recipient
  accept  domains = +local_domains
  accept  hosts = +relay_from_hosts
  deny    message = relay not permitted

acl_check_data:
${o.dataAcl ?? ''}
  accept
`;
  const routers = o.routers ?? `${o.extraRouters ?? ''}
fixed_routes:
  driver = manualroute
  domains = +route_domains
  route_data = \${lookup{$domain}lsearch{${path.join(o.dir, 'routes')}}}
  transport = remote_smtp
  self = send

dns_lookup:
  driver = dnslookup
  domains = ! +local_domains : ! +route_domains
  transport = remote_smtp
  ignore_target_hosts = 0.0.0.0 : 127.0.0.0/8
  no_more

local_user:
  driver = accept
  domains = +local_domains
  local_parts = lsearch;${path.join(o.dir, 'users')}
  transport = local_mailbox
`;
  const transports = o.transports ?? `
remote_smtp:
  driver = smtp

local_mailbox:
  driver = appendfile
  file = ${path.join(o.dir, 'mail')}/$local_part_data
  user = Debian-exim
  group = Debian-exim
  mode = 0600
${o.quota ? `  quota = ${o.quota}\n` : ''}${o.extraTransports ?? ''}`;
  const retry = o.retry ?? '*  *  F,1h,5s';
  return `# private test instance ${o.name} (written by scripts/mta/exim.mjs)\n${mainText}\n\nbegin acl\n${acl}\nbegin routers\n${routers}\nbegin transports\n${transports}\nbegin retry\n${retry}\n\nbegin rewrite\n\nbegin authenticators\n`;
}

/**
 * Starts a private Exim. Options:
 *   exim          from ensureExim(): { bin, lib, nssWrapper }
 *   dir, name     folder for everything; instance name (primary_hostname NAME.test)
 *   port          SMTP port on 127.0.0.1 (default: a free one)
 *   localDomains  domains delivered here; `users` lists the local parts that exist
 *   routes        { domain: 'IP:PORT' } sent by SMTP to that host (bounces to a sink, a next hop)
 *   relayFromHosts  clients that may relay (default ['127.0.0.1']; [] makes a final hop that refuses to relay)
 *   main          main-section options over the defaults (message_size_limit, ...)
 *   rcptAcl, dataAcl  ACL statements placed before the default accept/deny
 *   quota         appendfile quota for local mailboxes ('1K')
 *   extraRouters  routers placed before the default ones (an autoreply router, ...); extraTransports: appended
 *   acl/routers/transports/retry  replace a whole section
 *   queueInterval -q interval of the daemon (default 2s)
 * Returns { name, dir, configPath, ports: { smtp }, logPath, rejectLogPath, pid, log(), exim(args), stop() }.
 */
export async function startExim(opts) {
  const { exim, dir, name = 'exim', users = [], localDomains = [], routes = {}, queueInterval = '2s' } = opts;
  if (!exim?.bin) throw new Error('startExim needs { exim } from ensureExim()');
  const port = opts.port ?? (await freePort());
  for (const d of ['spool', 'log', 'mail']) mkdirSync(path.join(dir, d), { recursive: true });
  makeTraversable(dir);
  for (const d of ['spool', 'log', 'mail']) chownSync(path.join(dir, d), EXIM_UID, EXIM_UID);
  // "name: name", so $local_part_data (untainted, unlike $local_part) names the mailbox file.
  writeFileSync(path.join(dir, 'users'), users.map((u) => `${u}: ${u}\n`).join(''));
  // lsearch data for manualroute's route_data: a host list item "IP::PORT" (the doubled colon is a
  // literal one in a colon list), so the port travels with the host, also when one delivery batches
  // recipients of several domains.
  writeFileSync(path.join(dir, 'routes'), Object.entries(routes).map(([d, hp]) => `${d}: ${hp.split(':')[0]}::${hp.split(':')[1] ?? 25}\n`).join(''));
  const configPath = path.join(dir, 'exim.conf');
  writeFileSync(configPath, eximConfig({ ...opts, bin: exim.bin, dir, name, port, localDomains, routes }), { mode: 0o644 });
  const env = eximEnv(exim, dir);
  const eximCmd = (args, runOpts = {}) => run(exim.bin, ['-C', configPath, ...args], { env, timeoutMs: 30_000, ...runOpts });
  const check = await eximCmd(['-bV']);
  if (check.code !== 0) throw new Error(`exim -bV (${name}) failed: ${check.stderr.trim() || check.stdout.trim()}`);
  const version = /Exim version (\S+)/.exec(check.stdout)?.[1] ?? null;

  const daemon = spawnDaemon(exim.bin, ['-C', configPath, '-bdf', `-q${queueInterval}`], env);
  const logPath = path.join(dir, 'log', 'mainlog');
  const read = (f) => { try { return readFileSync(f, 'utf8'); } catch { return ''; } };
  const instance = {
    name, dir, configPath, version, logPath, rejectLogPath: path.join(dir, 'log', 'rejectlog'), pid: daemon.pid,
    ports: { smtp: port },
    env,
    log: () => read(logPath),
    /** Runs this instance's binary with its config: `exim(['-bp'])` lists the queue, `exim(['-qff'])` forces a run. */
    exim: eximCmd,
    stop: daemon.stop,
  };
  const started = await waitForText(instance.log, 'daemon started', 15_000);
  if (!started || daemon.gone()) {
    await instance.stop();
    throw new Error(`exim ${name} did not start: ${daemon.output().trim()}\n${instance.log().slice(-2_000)}\n${read(path.join(dir, 'log', 'paniclog'))}`);
  }
  return instance;
}

/** The environment for the unpacked binary: nss_wrapper gives it the "Debian-exim" account. */
function eximEnv(exim, dir) {
  return nssEnv(exim, dir, { users: [`Debian-exim:x:${EXIM_UID}:${EXIM_UID}::${path.join(dir, 'spool')}:/usr/sbin/nologin`], groups: [`Debian-exim:x:${EXIM_UID}:`] });
}

/** "4.96" for the unpacked binary, or null. */
export async function eximVersion(exim) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rebound-exim-v-'));
  try {
    const r = await run(exim.bin, ['-bV'], { env: eximEnv(exim, dir), timeoutMs: 30_000 });
    return /Exim version (\S+)/.exec(r.stdout)?.[1] ?? null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
