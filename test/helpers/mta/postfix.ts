// Private Postfix instances for tests (the logic lives in scripts/mta/postfix.mjs, shared with the
// corpus generator and the benchmarks; this file gives it types and a skip reason).
// @ts-expect-error plain JS module without declarations
import * as core from '../../../scripts/mta/postfix.mjs';
// @ts-expect-error plain JS module without declarations
import * as install from '../../../scripts/mta/install.mjs';

export interface PostfixOptions {
  /** Folder for config, queue, data and maillog (created). */
  dir: string;
  /** myhostname NAME.test and syslog_name postfix-NAME, so each hop's log lines are told apart. */
  name?: string;
  /** smtpd port on 127.0.0.1; default a free one. */
  port?: number;
  /** main.cf parameters over the test defaults (mydestination, virtual_mailbox_*, relayhost, message_size_limit, ...). */
  main?: Record<string, string>;
  /** Lookup tables written to DIR/etc/NAME; reference them as `texthash:DIR/etc/NAME` (or `instance.map(NAME)`). */
  maps?: Record<string, string>;
  /** transport_maps entries: { 'b.test': 'smtp:[127.0.0.1]:2525', 'gone.test': 'error:5.1.2 gone' }. */
  transport?: Record<string, string>;
  /**
   * virtual(8) mailboxes under DIR/mail: other addresses in `domains` are refused with "User unknown in
   * virtual mailbox table"; `limit` is virtual_mailbox_limit (per mbox file, or per maildir message file).
   */
  virtual?: { domains: string[]; mailboxes?: string[]; format?: 'maildir' | 'mbox'; limit?: number };
  /** `-o key=value` on the smtpd listener. */
  smtpdOptions?: Record<string, string>;
  /** More smtpd listeners on free ports, each with its own `-o` overrides; their ports are `ports[label]`. */
  listeners?: Record<string, Record<string, string>>;
  /** Extra master.cf text. */
  services?: string;
}

export interface RunResult { code: number | null; stdout: string; stderr: string; timedOut: boolean }

export interface PostfixInstance {
  name: string;
  dir: string;
  confDir: string;
  ports: { smtp: number } & Record<string, number>;
  /** The maillog_file this instance writes (postlogd, one line per event). */
  logPath: string;
  warnings: string;
  map(file: string): string;
  masterPid(): number | null;
  log(): string;
  postfix(args: string[], timeoutMs?: number): Promise<RunResult>;
  flush(): Promise<RunResult>;
  queued(): number;
  /** Stops this instance's master, by its PID, and waits for it. */
  stop(): Promise<void>;
}

export const startPostfix = core.startPostfix as (o: PostfixOptions) => Promise<PostfixInstance>;
export const postfixVersion = core.postfixVersion as () => Promise<string | null>;
/** Why private Postfix instances cannot run here (for `describe.skipIf`), or null. */
export const postfixSkip = install.postfixUnavailable() as string | null;
