// Private Sendmail instances for tests, from Debian's packages unpacked into a cache (the logic lives
// in scripts/mta/sendmail.mjs and scripts/mta/install.mjs; this file gives it types and a skip reason).
// Sendmail logs only to syslog, so an instance has no log file.
// @ts-expect-error plain JS module without declarations
import * as core from '../../../scripts/mta/sendmail.mjs';
// @ts-expect-error plain JS module without declarations
import * as install from '../../../scripts/mta/install.mjs';
import type { RunResult } from './postfix.js';
import { prepareUnpacked } from './unpacked.js';

export interface SendmailBinary { bin: string; m4: string; cfDir: string; lib: string; nssWrapper: string }

export interface SendmailOptions {
  sendmail: SendmailBinary;
  dir: string;
  /** Host name NAME.test, its local domain. */
  name?: string;
  port?: number;
  /** '127.0.0.1:PORT': every non-local recipient, and every DSN, is relayed there. */
  smartHost?: string;
  /** confTO_QUEUERETURN (default '5d'). */
  queueReturn?: string;
  /** More m4 lines for the .mc. */
  extraMc?: string;
}

export interface SendmailInstance {
  name: string;
  dir: string;
  configPath: string;
  version: string | null;
  ports: { smtp: number };
  logPath: null;
  pid: number;
  sendmail(args: string[], timeoutMs?: number): Promise<RunResult>;
  /** Stops the daemon and what it forked (its own process group), by PID. */
  stop(): Promise<void>;
}

export const startSendmail = core.startSendmail as (o: SendmailOptions) => Promise<SendmailInstance>;

/** The unpacked Sendmail (downloaded the first time), or the reason it cannot be had. */
export async function prepareSendmail(): Promise<{ sendmail: SendmailBinary | null; skip: string | null }> {
  const { bin, skip } = await prepareUnpacked<SendmailBinary>('Sendmail', install.sendmailUnavailable, install.ensureSendmail);
  return { sendmail: bin, skip };
}
