// Dovecot's LDA with Pigeonhole Sieve as a Postfix delivery agent (pipe(8)), run from the packages
// `ensureDovecot()` unpacked into the cache: no Dovecot daemon, no system config. Each local part in
// `users` gets a home with its active Sieve script; replies (vacation) go out by SMTP to
// `submissionHost`. Postfix runs the returned `command` as nobody for every delivery:
//   dovecot unix - n n - - pipe
//     flags=DRhu user=nobody argv=COMMAND ${sender} ${user} ${recipient}
// Without -d the LDA needs no auth service: it delivers as the calling user, USER/HOME from the wrapper.
import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { run } from '../../bench/lib/util.mjs';
import { nssEnv } from './nss.mjs';
import { makeTraversable } from './postfix.mjs';

/**
 * Writes DIR/dovecot.conf, homes and Sieve scripts, and DIR/lda.sh; returns { command, logPath,
 * masterService(name) } where masterService is the master.cf text for Postfix's `services`.
 *   users           { localpart: sieveScript }
 *   hostname        the host name the LDA uses (Message-IDs of its replies)
 *   submissionHost  '127.0.0.1:PORT' where Sieve sends vacation replies and redirects
 */
export function dovecotLda({ dovecot, dir, users, hostname, submissionHost }) {
  for (const d of ['run', 'state', 'mail', 'home']) mkdirSync(path.join(dir, d), { recursive: true });
  makeTraversable(dir);
  const logPath = path.join(dir, 'dovecot.log');
  writeFileSync(logPath, '');
  writeFileSync(path.join(dir, 'dovecot.conf'), `# private Dovecot LDA (written by scripts/mta/dovecot.mjs)
base_dir = ${path.join(dir, 'run')}
state_dir = ${path.join(dir, 'state')}
log_path = ${logPath}
mail_plugin_dir = ${dovecot.modules}
ssl = no
protocols =
default_internal_user = nobody
default_internal_group = nogroup
default_login_user = nobody
hostname = ${hostname}
postmaster_address = postmaster@${hostname}
submission_host = ${submissionHost}
mail_location = maildir:${path.join(dir, 'mail')}/%n
mail_plugins = sieve
plugin {
  sieve = file:~/sieve;active=~/.dovecot.sieve
}
`);
  for (const [user, script] of Object.entries(users)) {
    const home = path.join(dir, 'home', user);
    mkdirSync(home, { recursive: true });
    writeFileSync(path.join(home, '.dovecot.sieve'), script);
  }
  for (const d of ['run', 'state', 'mail', 'home', ...Object.keys(users).map((u) => path.join('home', u)), ...Object.keys(users).map((u) => path.join('home', u, '.dovecot.sieve')), 'dovecot.log']) {
    chownSync(path.join(dir, d), 65534, 65534);
  }
  const env = nssEnv(dovecot, dir, { hostname });
  const q = (s) => `'${String(s).replace(/'/g, "'\\''")}'`;
  const command = path.join(dir, 'lda.sh');
  // pipe(8) passes only a few variables; the wrapper sets the rest. $1 sender, $2 local part, $3 recipient.
  writeFileSync(command, `#!/bin/sh
${Object.entries(env).map(([k, v]) => `export ${k}=${q(v)}`).join('\n')}
export USER="$2" HOME=${q(path.join(dir, 'home'))}/"$2"
exec ${q(dovecot.doveconf)} -c ${q(path.join(dir, 'dovecot.conf'))} -e ${q(dovecot.lda)} -f "$1" -a "$3"
`);
  chmodSync(command, 0o755);
  return {
    command, logPath,
    masterService: (name = 'dovecot') => `${name} unix - n n - - pipe\n  flags=DRhu user=nobody argv=${command} \${sender} \${user} \${recipient}\n`,
  };
}

/** "Dovecot 2.3.19.1" of the unpacked packages, or null. */
export async function dovecotVersion(dovecot) {
  const r = await run(dovecot.dovecot, ['--version'], { env: { LD_LIBRARY_PATH: dovecot.lib }, timeoutMs: 10_000 });
  return r.code === 0 ? `Dovecot ${r.stdout.trim().split(' ')[0]}` : null;
}
