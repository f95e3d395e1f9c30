// Private Exim 4 instances for tests, from Debian's package unpacked into a cache (the logic lives in
// scripts/mta/exim.mjs and scripts/mta/install.mjs; this file gives it types and a skip reason).
// @ts-expect-error plain JS module without declarations
import * as core from '../../../scripts/mta/exim.mjs';
// @ts-expect-error plain JS module without declarations
import * as install from '../../../scripts/mta/install.mjs';
import type { RunResult } from './postfix.js';
import { prepareUnpacked } from './unpacked.js';

export interface EximBinary { bin: string; lib: string; nssWrapper: string }

export interface EximOptions {
  exim: EximBinary;
  dir: string;
  /** primary_hostname NAME.test. */
  name?: string;
  port?: number;
  /** Domains delivered here (appendfile into DIR/mail/LOCALPART); `users` are the local parts that exist. */
  localDomains?: string[];
  users?: string[];
  /** { domain: '127.0.0.1:PORT' } sent by SMTP to that host (a next hop, the return-path sink). */
  routes?: Record<string, string>;
  /** Clients that may relay; default ['127.0.0.1'], [] for a final hop that refuses to relay. */
  relayFromHosts?: string[];
  /** Main-section options over the defaults (message_size_limit, ...). */
  main?: Record<string, string>;
  /** ACL statements before the default RCPT accept/deny, and in the DATA ACL. */
  rcptAcl?: string;
  dataAcl?: string;
  /** appendfile quota for local mailboxes, e.g. '1K'. */
  quota?: string;
  /** Routers placed before the default ones (e.g. an autoreply router), and transports appended to the defaults. */
  extraRouters?: string;
  extraTransports?: string;
  /** Replace a whole configuration section. */
  acl?: string;
  routers?: string;
  transports?: string;
  retry?: string;
  /** Daemon queue-run interval (-q), default '2s'. */
  queueInterval?: string;
}

export interface EximInstance {
  name: string;
  dir: string;
  configPath: string;
  version: string | null;
  ports: { smtp: number };
  /** Exim's mainlog (log_file_path DIR/log/%slog). */
  logPath: string;
  rejectLogPath: string;
  pid: number;
  log(): string;
  exim(args: string[]): Promise<RunResult>;
  /** Stops the daemon and the deliveries it forked (its own process group), by PID. */
  stop(): Promise<void>;
}

export const startExim = core.startExim as (o: EximOptions) => Promise<EximInstance>;

/**
 * The unpacked Exim, downloading it the first time (apt-get download + dpkg -x into
 * node_modules/.cache/rebound-mta), or the reason it cannot be had, for `describe.skipIf`.
 */
export async function prepareExim(): Promise<{ exim: EximBinary | null; skip: string | null }> {
  const { bin, skip } = await prepareUnpacked<EximBinary>('Exim', install.eximUnavailable, install.ensureExim);
  return { exim: bin, skip };
}
