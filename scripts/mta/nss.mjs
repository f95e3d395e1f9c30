// Private passwd/group/hosts for an unpacked MTA binary, through nss_wrapper (LD_PRELOAD): the
// accounts and host name it looks up exist only in files under the instance's folder.
import { writeFileSync } from 'node:fs';
import path from 'node:path';

const BASE_USERS = ['root:x:0:0:root:/root:/bin/sh', 'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin', 'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin'];
const BASE_GROUPS = ['root:x:0:', 'daemon:x:1:', 'nogroup:x:65534:'];

/**
 * Writes DIR/passwd, DIR/group (root, daemon, nobody plus `users`/`groups` lines) and, with
 * `hostname`, DIR/hosts naming it for 127.0.0.1; returns the environment that makes `bin` use them.
 */
export function nssEnv(unpacked, dir, { users = [], groups = [], hostname = null } = {}) {
  writeFileSync(path.join(dir, 'passwd'), [...BASE_USERS, ...users].map((l) => `${l}\n`).join(''));
  writeFileSync(path.join(dir, 'group'), [...BASE_GROUPS, ...groups].map((l) => `${l}\n`).join(''));
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LD_PRELOAD: unpacked.nssWrapper,
    LD_LIBRARY_PATH: unpacked.lib,
    NSS_WRAPPER_PASSWD: path.join(dir, 'passwd'),
    NSS_WRAPPER_GROUP: path.join(dir, 'group'),
  };
  if (hostname) {
    writeFileSync(path.join(dir, 'hosts'), `127.0.0.1 ${hostname} ${hostname.split('.')[0]} localhost\n`);
    Object.assign(env, { NSS_WRAPPER_HOSTS: path.join(dir, 'hosts'), NSS_WRAPPER_HOSTNAME: hostname });
  }
  return env;
}
