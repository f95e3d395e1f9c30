// A private Postfix instance on loopback: `postfix -c DIR` with its own main.cf/master.cf,
// queue_directory, data_directory and maillog_file under one folder, no chroot, listening on
// 127.0.0.1 only. /etc/postfix and /var/spool/postfix are never used.
//
//   const pf = await startPostfix({ dir, name: 'final', main: { virtual_mailbox_domains: 'b.test' },
//     maps: { vmailbox: 'known@b.test ok\n' }, transport: { 'rp.test': '[127.0.0.1]:2600' } });
//   pf.ports.smtp; pf.logPath; pf.map('vmailbox') === 'texthash:DIR/etc/vmailbox'; await pf.stop();
//
// Maps are written as plain files and referenced as `texthash:` (no postmap step).
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, run, sleep, which } from '../../bench/lib/util.mjs';

// Debian's master.cf services, chroot off ("n" in the 5th column); the smtpd listener is added per instance.
const SERVICES = `
pickup unix n - n 60 1 pickup
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
tlsmgr unix - - n 1000? 1 tlsmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000? 0 flush
proxymap unix - - n - - proxymap
proxywrite unix - - n - 1 proxymap
smtp unix - - n - - smtp
relay unix - - n - - smtp
showq unix n - n - - showq
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
local unix - n n - - local
virtual unix - n n - - virtual
lmtp unix - - n - - lmtp
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
`.trimStart();

/** main.cf defaults for a test instance; every key can be overridden with `main`. */
function baseMain(dir, name) {
  return {
    compatibility_level: '3.6',
    myhostname: `${name}.test`,
    mydomain: 'test',
    myorigin: '$myhostname',
    syslog_name: `postfix-${name}`,
    inet_interfaces: '127.0.0.1',
    inet_protocols: 'ipv4',
    mydestination: '',
    local_recipient_maps: '',
    alias_maps: '',
    alias_database: '',
    relay_domains: '',
    relayhost: '',
    mynetworks: '127.0.0.0/8',
    smtpd_relay_restrictions: 'permit_mynetworks, reject_unauth_destination',
    smtpd_peername_lookup: 'no',
    smtp_tls_security_level: 'none',
    smtpd_tls_security_level: 'none',
    biff: 'no',
    append_dot_mydomain: 'no',
    queue_directory: path.join(dir, 'queue'),
    data_directory: path.join(dir, 'data'),
    maillog_file: path.join(dir, 'maillog'),
    maillog_file_prefixes: dir,
    // Test-sized retry timing (defaults are minutes).
    queue_run_delay: '2s',
    minimal_backoff_time: '2s',
    maximal_backoff_time: '4s',
  };
}

/**
 * Starts a private Postfix. Options:
 *   dir          folder for everything (created; made traversable for the postfix user)
 *   name         instance name: myhostname NAME.test, syslog_name postfix-NAME (distinct log tags per hop)
 *   port         smtpd port on 127.0.0.1 (default: a free one)
 *   main         main.cf parameters over the defaults above
 *   maps         { file: text } written to DIR/etc/FILE; use `instance.map(file)` or `texthash:DIR/etc/FILE`
 *   transport    { domain: nexthop } becomes transport_maps (e.g. 'smtp:[127.0.0.1]:2525', 'error:5.1.2 gone')
 *   virtual      { domains, mailboxes: [address], format: 'maildir' | 'mbox', limit } : virtual(8) delivery into
 *                DIR/mail as uid 65534; other addresses in those domains get "User unknown in virtual mailbox table"
 *   smtpdOptions extra `-o key=value` for the smtpd listener
 *   listeners    { label: { key: value } } more smtpd listeners on free ports with their own -o overrides
 *                (a second port with a smaller message_size_limit, a client blocklist): ports[label]
 *   services     extra master.cf text (more listeners, pipes)
 * Returns { name, dir, confDir, ports: { smtp, ...labels }, logPath, map(file), log(), postfix(args), flush(), queued(), stop() }.
 */
export async function startPostfix(opts) {
  const { dir, name = 'postfix', main = {}, maps = {}, transport = null, virtual = null, smtpdOptions = {}, listeners = {}, services = '' } = opts;
  const bin = which('postfix');
  if (!bin) throw new Error('postfix not found (apt-get install postfix, or run .ci/run)');
  const port = opts.port ?? (await freePort());
  const confDir = path.join(dir, 'etc');
  mkdirSync(confDir, { recursive: true });
  mkdirSync(path.join(dir, 'queue'), { recursive: true });
  // Postfix daemons run as the postfix user and must reach the queue and the maps.
  makeTraversable(dir);
  const mapRef = (file) => `texthash:${path.join(confDir, file)}`;
  for (const [file, text] of Object.entries(maps)) writeFileSync(path.join(confDir, file), text.endsWith('\n') || !text ? text : `${text}\n`);
  const params = { ...baseMain(dir, name) };
  if (virtual) Object.assign(params, virtualMailboxes(dir, confDir, virtual));
  if (transport) {
    writeFileSync(path.join(confDir, 'transport'), Object.entries(transport).map(([d, t]) => `${d} ${t}\n`).join(''));
    params.transport_maps = mapRef('transport');
  }
  Object.assign(params, main);
  writeFileSync(path.join(confDir, 'main.cf'), Object.entries(params).map(([k, v]) => `${k} = ${v}\n`).join(''));
  // One smtpd line per listener; `-o { key = value }` keeps values with spaces and commas intact.
  const ports = { smtp: port };
  for (const extra of Object.keys(listeners)) {
    do ports[extra] = await freePort(); while (Object.values(ports).filter((p) => p === ports[extra]).length > 1);
  }
  const smtpd = (p, o) => `127.0.0.1:${p} inet n - n - - smtpd\n${Object.entries(o).map(([k, v]) => `  -o { ${k} = ${v} }\n`).join('')}`;
  const inet = [smtpd(port, smtpdOptions), ...Object.entries(listeners).map(([k, o]) => smtpd(ports[k], { syslog_name: `${params.syslog_name}/${k}`, ...o }))];
  writeFileSync(path.join(confDir, 'master.cf'), `${inet.join('')}${SERVICES}${services}`);

  const postfix = (args, timeoutMs = 60_000) => run(bin, ['-c', confDir, ...args], { timeoutMs });
  const check = await postfix(['check']);
  if (check.code !== 0) throw new Error(`postfix check (${name}) failed: ${check.stderr.trim()}`);
  const started = await postfix(['start']);
  if (started.code !== 0) throw new Error(`postfix start (${name}) failed: ${started.stderr.trim()}`);
  const logPath = params.maillog_file;
  const pidFile = path.join(params.queue_directory, 'pid', 'master.pid');
  const masterPid = () => {
    try { return Number(readFileSync(pidFile, 'utf8').trim()) || null; } catch { return null; }
  };
  let running = true;
  const instance = {
    name, dir, confDir, logPath, ports,
    warnings: check.stderr.trim(),
    map: mapRef,
    masterPid,
    /** The maillog so far ('' before the first line). */
    log() {
      try { return readFileSync(logPath, 'utf8'); } catch { return ''; }
    },
    /** Runs `postfix -c CONF ARGS...` (flush, reload, ...). */
    postfix,
    /** Asks the queue manager to retry deferred mail now. */
    flush: () => postfix(['flush']),
    /** Messages still in this instance's queue. */
    queued: () => countFiles(params.queue_directory, ['maildrop', 'incoming', 'active', 'deferred', 'hold']),
    /** Stops this instance's master (by its PID) and waits until it is gone. */
    async stop() {
      if (!running) return;
      running = false;
      const pid = masterPid();
      const r = await postfix(['stop'], 30_000);
      if (r.code !== 0 && pid) {
        try { process.kill(pid, 'SIGTERM'); } catch { /* gone already */ }
      }
      for (let i = 0; pid && i < 100 && alive(pid); i++) await sleep(100);
    },
  };
  // The master binds its listeners before it logs "daemon started"; waiting for that line instead of
  // probing the port keeps "lost connection after CONNECT" noise out of the log other tests read.
  if (!(await waitForText(instance.log, 'daemon started -- version', 15_000))) {
    await instance.stop();
    throw new Error(`postfix ${name} did not start within 15 s:\n${instance.log().slice(-2_000)}`);
  }
  return instance;
}

/** main.cf for virtual(8) mailboxes under DIR/mail, owned by nobody (virtual refuses root). */
function virtualMailboxes(dir, confDir, { domains, mailboxes = [], format = 'maildir', limit = null }) {
  const base = path.join(dir, 'mail');
  mkdirSync(base, { recursive: true });
  chownSync(base, 65534, 65534);
  const suffix = format === 'maildir' ? '/' : '';
  writeFileSync(path.join(confDir, 'vmailbox'), mailboxes.map((a) => `${a} ${a.replace('@', '.')}${suffix}\n`).join(''));
  return {
    virtual_mailbox_domains: domains.join(', '),
    virtual_mailbox_maps: `texthash:${path.join(confDir, 'vmailbox')}`,
    virtual_mailbox_base: base,
    virtual_uid_maps: 'static:65534',
    virtual_gid_maps: 'static:65534',
    ...(limit ? { virtual_mailbox_limit: String(limit) } : {}),
  };
}

/** chmod 755 on `dir`; ancestors that others cannot enter (a 0700 mkdtemp folder) get o+x, nothing else changes. */
export function makeTraversable(dir) {
  chmodSync(dir, 0o755);
  for (let d = path.dirname(dir); d !== path.dirname(d); d = path.dirname(d)) {
    const mode = statSync(d).mode & 0o7777;
    if ((mode & 0o011) !== 0o011) chmodSync(d, mode | 0o011);
  }
}

/** Polls `read()` until it contains `text`; false after timeoutMs. */
export async function waitForText(read, text, timeoutMs) {
  for (const end = Date.now() + timeoutMs; Date.now() < end; await sleep(50)) if (read().includes(text)) return true;
  return false;
}

export function alive(pid) {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

function countFiles(root, subdirs) {
  let n = 0;
  const walk = (d) => {
    let entries;
    try { entries = readdirSync(d, { withFileTypes: true }); } catch { return; }
    for (const e of entries) (e.isDirectory() ? walk(path.join(d, e.name)) : n++);
  };
  for (const q of subdirs) walk(path.join(root, q));
  return n;
}

/** `mail_version` of the installed Postfix (e.g. "3.7.11"), or null. */
export async function postfixVersion() {
  const bin = which('postconf');
  if (!bin) return null;
  const r = await run(bin, ['-d', '-h', 'mail_version'], { timeoutMs: 30_000 });
  return r.code === 0 ? r.stdout.trim() : null;
}
