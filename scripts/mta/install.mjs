// Getting real MTAs from Debian for private, loopback-only test instances.
//
// Postfix is installed with apt-get (the system package; nothing under /etc/postfix is used or changed).
// Exim conflicts with Postfix as the system MTA, so it is never installed: its .debs are fetched with
// `apt-get download` and unpacked with `dpkg -x` into a cache folder, beside nss_wrapper (the
// binary looks up its compiled-in user "Debian-exim" before it reads any configuration; nss_wrapper
// answers that from a private passwd file, so no system account is created).
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

// Packages unpacked for Exim: the daemon binary, a library Debian's build links that a Postfix-only
// system may lack, and nss_wrapper. exim4-base/exim4-config are not needed: we write our own config.
const EXIM_PACKAGES = ['exim4-daemon-light', 'libidn12', 'libnss-wrapper'];

function eximPaths(root) {
  const lib = path.join(root, 'usr', 'lib', 'x86_64-linux-gnu');
  return { root, bin: path.join(root, 'usr', 'sbin', 'exim4'), lib, nssWrapper: path.join(lib, 'libnss_wrapper.so') };
}

/** The unpacked Exim, if it is in the cache (no download). */
export function cachedExim() {
  const p = eximPaths(path.join(mtaCacheDir(), 'exim4'));
  return existsSync(p.bin) && existsSync(p.nssWrapper) ? p : null;
}

/**
 * Fetches Exim's .debs with `apt-get download` and unpacks them with `dpkg -x` into the cache, once.
 * The binary's setuid bit is dropped: it runs as root from the test, then as the Exim user for
 * deliveries, and a non-setuid binary keeps LD_PRELOAD/LD_LIBRARY_PATH across Exim's re-execs.
 */
export async function ensureExim(log = console.log) {
  const have = cachedExim();
  if (have) return { ...have, installed: false };
  if (!which('apt-get') || !which('dpkg')) throw new Error('apt-get/dpkg not found: Exim is fetched from Debian packages');
  const root = path.join(mtaCacheDir(), 'exim4');
  const debs = path.join(mtaCacheDir(), 'debs');
  rmSync(root, { recursive: true, force: true });
  mkdirSync(debs, { recursive: true });
  // apt drops to the _apt user for downloads; let it write here.
  chmodSync(debs, 0o777);
  log(`downloading ${EXIM_PACKAGES.join(', ')} into ${debs}`);
  const r = await aptGet(['download', ...EXIM_PACKAGES], debs);
  if (r.code !== 0) throw new Error(`apt-get download ${EXIM_PACKAGES.join(' ')} failed (exit ${r.code}): ${r.stderr.slice(-2_000)}`);
  for (const pkg of EXIM_PACKAGES) {
    const deb = readdirSync(debs).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'));
    if (!deb) throw new Error(`apt-get download left no ${pkg}_*.deb in ${debs}`);
    const x = await run('dpkg', ['-x', path.join(debs, deb), root], { timeoutMs: 120_000 });
    if (x.code !== 0) throw new Error(`dpkg -x ${deb} failed: ${x.stderr}`);
  }
  const p = eximPaths(root);
  chmodSync(p.bin, 0o755);
  makeTraversable(root);
  return { ...p, installed: true };
}

/** Why Exim cannot run here, or null (for `describe.skipIf`). Does not download. */
export function eximUnavailable() {
  if (!isRoot) return 'private Exim instances need root';
  if (cachedExim()) return null;
  if (!which('apt-get') || !which('dpkg')) return 'apt-get/dpkg not found: Exim is fetched from Debian packages';
  return null;
}
