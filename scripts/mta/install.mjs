// Getting real MTAs from Debian for private, loopback-only test instances.
//
// Postfix is installed with apt-get (the system package; nothing under /etc/postfix is used or changed).
// Exim and Sendmail conflict with Postfix as the system MTA, so they are never installed (nor is
// Dovecot, which would start a system service): their .debs are fetched with `apt-get download` and
// unpacked with `dpkg -x` into a cache folder, beside
// nss_wrapper (Exim looks up its compiled-in user "Debian-exim" before it reads any configuration,
// Sendmail sleeps a minute when it cannot qualify the host name; nss_wrapper answers both from
// private files, so no system account or /etc/hosts entry is created).
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, which } from '../../bench/lib/util.mjs';
import { makeTraversable } from './postfix.mjs';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const aptEnv = () => ({ ...process.env, DEBIAN_FRONTEND: 'noninteractive' });

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Where downloaded MTAs are unpacked: REBOUND_MTA_CACHE, else node_modules/.cache/rebound-mta. Not
 * under /root: Exim re-executes itself as its own user, who must be able to reach the binary.
 */
export function mtaCacheDir() {
  return path.resolve(process.env.REBOUND_MTA_CACHE ?? path.join(REPO_ROOT, 'node_modules', '.cache', 'rebound-mta'));
}

/** Runs an apt-get command; on failure runs `apt-get update` once and retries (a fresh container has no lists). */
async function aptGet(args, cwd) {
  let r = await run('apt-get', args, { env: aptEnv(), cwd, timeoutMs: 600_000 });
  if (r.code !== 0) {
    await run('apt-get', ['update', '-qq'], { env: aptEnv(), timeoutMs: 600_000 });
    r = await run('apt-get', args, { env: aptEnv(), cwd, timeoutMs: 600_000 });
  }
  return r;
}

/** Installs Postfix with apt-get when `postfix`, `smtp-source` or `smtp-sink` is missing. Throws when it cannot. */
export async function ensurePostfix(log = console.log) {
  const missing = () => ['postfix', 'postconf', 'smtp-source', 'smtp-sink'].filter((p) => !which(p));
  if (!missing().length) return { installed: false };
  if (!isRoot) throw new Error(`${missing().join(', ')} missing and not root: install Postfix (apt-get install postfix)`);
  log(`installing postfix (missing: ${missing().join(', ')})`);
  await run('sh', ['-c', 'echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections'], { env: aptEnv(), timeoutMs: 60_000 });
  const r = await aptGet(['install', '-y', '-qq', 'postfix']);
  if (r.code !== 0 || missing().length) throw new Error(`postfix install failed (exit ${r.code}): ${r.stderr.slice(-2_000)}`);
  return { installed: true };
}

/** Why Postfix cannot run here, or null when it can (for `describe.skipIf`). Does not install. */
export function postfixUnavailable() {
  if (!isRoot) return 'private Postfix instances need root (its daemons drop to the postfix user)';
  const missing = ['postfix', 'postconf'].filter((p) => !which(p));
  return missing.length ? `${missing.join(', ')} not installed (apt-get install postfix, or run .ci/run)` : null;
}

/**
 * Fetches .debs with `apt-get download` and unpacks them with `dpkg -x` into the cache folder `name`,
 * once. `bins` (paths inside the tree) lose their setuid/setgid bits: they run as root from the test,
 * and a binary without them keeps LD_PRELOAD/LD_LIBRARY_PATH (nss_wrapper, bundled libraries) across
 * the re-execs and privilege drops these MTAs do.
 */
async function unpackDebs(name, packages, bins, log) {
  if (!which('apt-get') || !which('dpkg')) throw new Error(`apt-get/dpkg not found: ${name} is fetched from Debian packages`);
  const root = path.join(mtaCacheDir(), name);
  const debs = path.join(mtaCacheDir(), 'debs');
  rmSync(root, { recursive: true, force: true });
  mkdirSync(debs, { recursive: true });
  // apt drops to the _apt user for downloads; let it write here.
  chmodSync(debs, 0o777);
  log(`downloading ${packages.join(', ')} into ${debs}`);
  const r = await aptGet(['download', ...packages], debs);
  if (r.code !== 0) throw new Error(`apt-get download ${packages.join(' ')} failed (exit ${r.code}): ${r.stderr.slice(-2_000)}`);
  for (const pkg of packages) {
    const deb = readdirSync(debs).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'));
    if (!deb) throw new Error(`apt-get download left no ${pkg}_*.deb in ${debs}`);
    const x = await run('dpkg', ['-x', path.join(debs, deb), root], { timeoutMs: 120_000 });
    if (x.code !== 0) throw new Error(`dpkg -x ${deb} failed: ${x.stderr}`);
  }
  for (const b of bins) chmodSync(path.join(root, b), 0o755);
  makeTraversable(root);
  return root;
}

function unpackUnavailable(what, cached) {
  if (!isRoot) return `private ${what} instances need root`;
  if (cached) return null;
  if (!which('apt-get') || !which('dpkg')) return `apt-get/dpkg not found: ${what} is fetched from Debian packages`;
  return null;
}

const LIB = path.join('usr', 'lib', 'x86_64-linux-gnu');

// Exim: the daemon binary, a library Debian's build links that a Postfix-only system may lack, and
// nss_wrapper. exim4-base/exim4-config are not needed: we write our own config.
const EXIM_PACKAGES = ['exim4-daemon-light', 'libidn12', 'libnss-wrapper'];
const EXIM_BIN = path.join('usr', 'sbin', 'exim4');

function eximPaths(root) {
  return { root, bin: path.join(root, EXIM_BIN), lib: path.join(root, LIB), nssWrapper: path.join(root, LIB, 'libnss_wrapper.so') };
}

/** The unpacked Exim, if it is in the cache (no download). */
export function cachedExim() {
  const p = eximPaths(path.join(mtaCacheDir(), 'exim4'));
  return existsSync(p.bin) && existsSync(p.nssWrapper) ? p : null;
}

/** Exim unpacked into the cache (downloaded the first time). */
export async function ensureExim(log = console.log) {
  const have = cachedExim();
  if (have) return { ...have, installed: false };
  return { ...eximPaths(await unpackDebs('exim4', EXIM_PACKAGES, [EXIM_BIN], log)), installed: true };
}

/** Why Exim cannot run here, or null (for `describe.skipIf`). Does not download. */
export function eximUnavailable() {
  return unpackUnavailable('Exim', cachedExim());
}

// Sendmail: the binary, the m4 macros its configuration is built from, m4 itself, TCP wrappers
// (linked), nss_wrapper (the host name it insists on qualifying, and its users).
const SENDMAIL_PACKAGES = ['sendmail-bin', 'sendmail-cf', 'm4', 'libwrap0', 'libnss-wrapper'];
const SENDMAIL_BIN = path.join('usr', 'libexec', 'sendmail', 'sendmail');

function sendmailPaths(root) {
  return {
    root, bin: path.join(root, SENDMAIL_BIN), m4: path.join(root, 'usr', 'bin', 'm4'), cfDir: path.join(root, 'usr', 'share', 'sendmail', 'cf'),
    lib: path.join(root, LIB), nssWrapper: path.join(root, LIB, 'libnss_wrapper.so'),
  };
}

export function cachedSendmail() {
  const p = sendmailPaths(path.join(mtaCacheDir(), 'sendmail'));
  return existsSync(p.bin) && existsSync(p.m4) && existsSync(p.nssWrapper) ? p : null;
}

/** Sendmail unpacked into the cache (downloaded the first time). */
export async function ensureSendmail(log = console.log) {
  const have = cachedSendmail();
  if (have) return { ...have, installed: false };
  return { ...sendmailPaths(await unpackDebs('sendmail', SENDMAIL_PACKAGES, [SENDMAIL_BIN], log)), installed: true };
}

export function sendmailUnavailable() {
  return unpackUnavailable('Sendmail', cachedSendmail());
}

// Dovecot's LDA with Pigeonhole Sieve: the vacation auto-responder most mailbox servers run.
const DOVECOT_PACKAGES = ['dovecot-core', 'dovecot-sieve', 'libnss-wrapper'];

function dovecotPaths(root) {
  return {
    root, doveconf: path.join(root, 'usr', 'bin', 'doveconf'), dovecot: path.join(root, 'usr', 'sbin', 'dovecot'),
    lda: path.join(root, 'usr', 'lib', 'dovecot', 'dovecot-lda'), modules: path.join(root, 'usr', 'lib', 'dovecot', 'modules'),
    // The binaries' RUNPATH is /usr/lib/dovecot, which LD_LIBRARY_PATH overrides.
    lib: `${path.join(root, 'usr', 'lib', 'dovecot')}:${path.join(root, LIB)}`, nssWrapper: path.join(root, LIB, 'libnss_wrapper.so'),
  };
}

export function cachedDovecot() {
  const p = dovecotPaths(path.join(mtaCacheDir(), 'dovecot'));
  return existsSync(p.lda) && existsSync(path.join(p.modules, 'lib90_sieve_plugin.so')) && existsSync(p.nssWrapper) ? p : null;
}

/** Dovecot + Pigeonhole unpacked into the cache (downloaded the first time). */
export async function ensureDovecot(log = console.log) {
  const have = cachedDovecot();
  if (have) return { ...have, installed: false };
  return { ...dovecotPaths(await unpackDebs('dovecot', DOVECOT_PACKAGES, [], log)), installed: true };
}

export function dovecotUnavailable() {
  return unpackUnavailable('Dovecot', cachedDovecot());
}
