import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import ipaddr from 'ipaddr.js';
import { LOG_FORMATS } from './reconcile/types.js';
import { WEBHOOK_EVENT_TYPES } from './webhooks/types.js';

/** A user-fixable error with a stable code and a message that says what to fix. */
export class ConfigError extends Error {
  readonly code = 'ECONFIG';
}

const cidr = z.string().refine((s) => {
  try {
    ipaddr.parseCIDR(s.includes('/') ? s : `${s}/${s.includes(':') ? 128 : 32}`);
    return true;
  } catch {
    return false;
  }
}, 'must be an IP address or CIDR range such as "10.0.0.0/8"');

const scryptHash = z.string().regex(/^scrypt\$/, 'must be a hash printed by `rebound hash-password`');

const user = z.strictObject({
  user: z.string().min(1),
  passwordHash: scryptHash,
  /** Sender domains this user may use in MAIL FROM; empty means any. */
  allowedSenderDomains: z.array(z.string().min(1)).default([]),
});

const tlsFiles = z.strictObject({ key: z.string().min(1), cert: z.string().min(1) });

const submission = z.strictObject({
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(2525),
  /** Implicit-TLS port (like 465); null disables it. Needs `tls`. */
  securePort: z.number().int().min(0).max(65535).nullable().default(null),
  tls: tlsFiles.nullable().default(null),
  users: z.array(user).default([]),
  trustedNetworks: z.array(cidr).default([]),
  /** Lets `trustedNetworks` cover every address (0.0.0.0/0, ::/0): an open relay. Only behind a firewall that does the job. */
  allowOpenRelay: z.boolean().default(false),
  maxMessageBytes: z.number().int().positive().default(25 * 1024 * 1024),
  maxRecipients: z.number().int().positive().default(100),
  maxClients: z.number().int().positive().default(500),
  /** Idle time before a silent client is disconnected. */
  socketTimeoutMs: z.number().int().positive().default(60_000),
  /** Longest a connection may last however busy it looks (stops slow-drip clients from holding a slot). */
  maxSessionMs: z.number().int().positive().default(30 * 60_000),
  /** "reject" refuses messages with bare LF line endings (SMTP smuggling guard); "normalize" converts them to CRLF. */
  bareLineFeeds: z.enum(['reject', 'normalize']).default('reject'),
  /** Mail to a suppressed recipient: "refuse" answers 550 5.7.1 at RCPT; "hold" accepts it and keeps it queued until the suppression is lifted. */
  suppressed: z.enum(['refuse', 'hold']).default('refuse'),
  /** Failed logins per client address, and per user name, within `authFailureWindowMs` before further attempts are refused. */
  maxAuthFailures: z.number().int().positive().default(5),
  authFailureWindowMs: z.number().int().positive().default(15 * 60_000),
});

const smarthost = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(1).max(65535).default(25),
  /** Implicit TLS from the first byte (port 465 style). */
  secure: z.boolean().default(false),
  /** STARTTLS: "opportunistic" uses it when offered, "required" fails without it, "off" never uses it. */
  starttls: z.enum(['opportunistic', 'required', 'off']).default('opportunistic'),
  rejectUnauthorized: z.boolean().default(true),
  auth: z.strictObject({ user: z.string().min(1), pass: z.string() }).nullable().default(null),
});

const retry = z.strictObject({
  firstDelayMs: z.number().int().positive().default(300_000),
  maxDelayMs: z.number().int().positive().default(4_000_000),
  lifetimeMs: z.number().int().positive().default(5 * 24 * 3600_000),
});

const delivery = z.strictObject({
  mode: z.enum(['smarthost', 'mx']).default('smarthost'),
  smarthost: smarthost.default(smarthost.parse({})),
  /** Port used for MX delivery (25 on the internet; tests point it elsewhere). */
  mxPort: z.number().int().min(1).max(65535).default(25),
  /** DNS servers for MX lookups ("ip" or "ip:port"); empty uses the system resolver. */
  dnsServers: z.array(z.string()).default([]),
  retry: retry.default(retry.parse({})),
  maxConnections: z.number().int().positive().default(64),
  maxConnectionsPerDestination: z.number().int().positive().default(16),
  messagesPerConnection: z.number().int().positive().default(1000),
  connectTimeoutMs: z.number().int().positive().default(30_000),
  greetingTimeoutMs: z.number().int().positive().default(30_000),
  socketTimeoutMs: z.number().int().positive().default(300_000),
  /** Close a pooled upstream connection after this much idle time. */
  idleTimeoutMs: z.number().int().positive().default(5_000),
  /** Name sent with EHLO; defaults to `hostname`. */
  heloName: z.string().nullable().default(null),
  /**
   * Ask a smarthost that offers DSN for NOTIFY=SUCCESS,FAILURE: its success notices are the
   * evidence that clears a flag (a smarthost's 250 is only acceptance).
   */
  requestDsn: z.boolean().default(true),
});

const returnPath = z.strictObject({
  /** VERP domain; when set, each recipient gets its own signed MAIL FROM on it. */
  domain: z.string().nullable().default(null),
  /** HMAC key for VERP tokens; null makes one on first start and keeps it in dataDir/return-path.key. */
  secret: z.string().min(16).nullable().default(null),
  /** Further domains the bounce server accepts mail for (a feedback-loop address, an old bounce domain). */
  acceptDomains: z.array(z.string().min(1)).default([]),
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(2526),
  maxMessageBytes: z.number().int().positive().default(10 * 1024 * 1024),
  socketTimeoutMs: z.number().int().positive().default(60_000),
  maxSessionMs: z.number().int().positive().default(10 * 60_000),
  /** Concurrent connections; more get 421 (this listener faces the internet as an MX). */
  maxClients: z.number().int().positive().default(200),
  /** Recipients per report transaction (a report is addressed to one return path; a few is plenty). */
  maxRecipients: z.number().int().positive().default(50),
  /** Raw reports are kept this long. */
  retentionDays: z.number().positive().default(30),
  /**
   * Smarthost mode: a flagged address whose message the smarthost accepted is cleared when no
   * bounce for that message arrives within this time (a success DSN or reconcile clears it sooner).
   */
  bounceWindowMs: z.number().int().positive().default(3_600_000),
  /** Most bytes of reports one client address may send per minute; beyond it, 451 4.7.1 until the minute has passed. */
  clientBytesPerMinute: z.number().int().positive().default(16 * 1024 * 1024),
  /** Longest a report waits for the store to make its effects durable (a full or failing disk) before 451 4.3.0. */
  durableWaitMs: z.number().int().positive().default(30_000),
  /** Worker threads that parse reports, off the event loop the listeners run on. */
  parseWorkers: z.number().int().min(1).max(64).default(2),
  /** Longest one report may take to parse; a report over it is kept raw and recorded as unparsed. */
  parseTimeoutMs: z.number().int().positive().default(3_000),
  /** Most bytes the raw report archive may hold; beyond it new reports get 452 4.3.1 until retention frees space. */
  archiveMaxBytes: z.number().int().positive().default(2 * 1024 * 1024 * 1024),
});

const http = z.strictObject({
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(8025),
  /** Bearer tokens, as hashes printed by `rebound new-token` (sha256$...) or `rebound hash-password` (scrypt$...). */
  tokens: z.array(z.string().regex(/^(scrypt\$|sha256\$[0-9a-f]{64}$)/, 'must be a hash printed by `rebound new-token` or `rebound hash-password`')).default([]),
  /** Serve /metrics without a token (a Prometheus scraper on a trusted network). */
  metricsPublic: z.boolean().default(false),
  /** Largest log accepted by POST /api/reconcile. */
  maxUploadBytes: z.number().int().positive().default(256 * 1024 * 1024),
  /** false turns the HTTP server off. */
  enabled: z.boolean().default(true),
});

const webhook = z.strictObject({
  url: z.url({ protocol: /^https?$/ }),
  /** HMAC-SHA256 key for the X-Rebound-Signature header. */
  secret: z.string().min(16, 'use at least 16 random characters'),
  /** Event types to send; all when absent. */
  events: z.array(z.enum(WEBHOOK_EVENT_TYPES)).optional(),
});

const webhookDelivery = z.strictObject({
  firstDelayMs: z.number().int().positive().default(1_000),
  maxDelayMs: z.number().int().positive().default(300_000),
  maxAttempts: z.number().int().positive().default(12),
  timeoutMs: z.number().int().positive().default(10_000),
});

const postgres = z.strictObject({
  /** Connection URL (postgres://user:pass@host:port/db); `REBOUND_PG_URL` overrides it, so the password can stay out of the file. */
  url: z.string().nullable().default(null),
  /** Connections this node keeps open. */
  poolSize: z.number().int().min(2).max(200).default(10),
  /** This node's name in leases and logs; null = hostname and pid. Must differ between nodes. */
  nodeId: z.string().min(1).max(100).nullable().default(null),
  /** How long a claimed message stays leased to this node without a renewal; a dead node's messages wait this long. */
  leaseMs: z.number().int().min(1_000).default(30_000),
  /** How often a node looks for due messages that nobody holds. */
  claimIntervalMs: z.number().int().min(50).default(500),
});

const store = z.strictObject({
  /** Recipient and message records are spread over this many lowdb files, so no single write is large. */
  shards: z.number().int().min(1).max(4096).default(64),
  /** How often the journal and events are synced when nobody is waiting for them. */
  flushIntervalMs: z.number().int().positive().default(200),
  /** How often changed shards are written as a lowdb snapshot and the journal restarted. */
  compactIntervalMs: z.number().int().positive().default(60_000),
  /** Events older than this are pruned. */
  eventRetentionDays: z.number().positive().default(30),
  /** lowdb: embedded files in dataDir, one node. postgres: shared state, one or several nodes. */
  engine: z.enum(['lowdb', 'postgres']).default('lowdb'),
  postgres: postgres.default(postgres.parse({})),
});

const spool = z.strictObject({
  /** A spool segment file is closed and a new one started past this size. */
  segmentBytes: z.number().int().positive().default(64 * 1024 * 1024),
  /** Sync data to disk before answering 250. Only ever turn off for throwaway benchmarks. */
  fsync: z.boolean().default(true),
});

const reconcile = z.strictObject({
  /** Delivery logs the server follows like `tail -F` (rotation-safe) and reconciles as lines arrive. */
  follow: z.array(z.string().min(1)).default([]),
  /** Format of the followed logs; null detects it per file. */
  format: z.enum(LOG_FORMATS).nullable().default(null),
  pollMs: z.number().int().positive().default(1_000),
  /** For files that exist at start-up: "start" re-reads them (idempotent), "end" follows new lines only. */
  startAt: z.enum(['start', 'end']).default('start'),
  /** UTC offset of zone-less (syslog) timestamps in minutes; null = this machine's zone. */
  utcOffsetMinutes: z.number().int().min(-900).max(900).nullable().default(null),
  /**
   * Relays of our own chain (names or IPs, as the logs write them) besides loopback, private
   * addresses and hosts whose logs are read: a message passed to one is a hand-off, not a delivery.
   */
  relays: z.array(z.string().min(1)).default([]),
  /** Clock difference allowed between the logs' hosts and ours when telling copies of a message apart. */
  skewMs: z.number().int().min(0).default(5 * 60_000),
});

const log = z.strictObject({
  level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export const configSchema = z.strictObject({
  dataDir: z.string().default('./data'),
  /** This server's name in greetings, EHLO and trace headers. */
  hostname: z.string().default('rebound.localhost'),
  log: log.default(log.parse({})),
  submission: submission.default(submission.parse({})),
  delivery: delivery.default(delivery.parse({})),
  returnPath: returnPath.default(returnPath.parse({})),
  http: http.default(http.parse({})),
  store: store.default(store.parse({})),
  spool: spool.default(spool.parse({})),
  reconcile: reconcile.default(reconcile.parse({})),
  webhooks: z.array(webhook).default([]),
  webhookDelivery: webhookDelivery.default(webhookDelivery.parse({})),
});

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

function describeIssues(error: z.ZodError, source: string): string {
  const lines = error.issues.map((i) => {
    const key = i.path.join('.') || '(root)';
    if (i.code === 'unrecognized_keys') {
      const base = i.path.length ? `${i.path.join('.')}.` : '';
      return `  ${i.keys.map((k) => base + k).join(', ')}: unknown key`;
    }
    return `  ${key}: ${i.message}`;
  });
  return `invalid configuration in ${source}:\n${lines.join('\n')}`;
}

/** A trusted range that covers every IPv4 or every IPv6 address (prefix 0, or all IPv4-mapped). */
function coversEveryone(range: string): boolean {
  const [ip, bits] = ipaddr.parseCIDR(range.includes('/') ? range : `${range}/${range.includes(':') ? 128 : 32}`);
  if (bits === 0) return true;
  return ip.kind() === 'ipv6' && bits <= 96 && (ip as ipaddr.IPv6).isIPv4MappedAddress();
}

/** Validates and defaults a configuration object; relative paths resolve against `baseDir`. */
export function parseConfig(input: unknown, source = 'configuration', baseDir = process.cwd()): Config {
  const result = configSchema.safeParse(input ?? {});
  if (!result.success) throw new ConfigError(describeIssues(result.error, source));
  const config = result.data;
  config.dataDir = path.resolve(baseDir, config.dataDir);
  if (config.submission.tls) {
    config.submission.tls.key = path.resolve(baseDir, config.submission.tls.key);
    config.submission.tls.cert = path.resolve(baseDir, config.submission.tls.cert);
  }
  config.reconcile.follow = config.reconcile.follow.map((f) => path.resolve(baseDir, f));
  const open = config.submission.trustedNetworks.filter(coversEveryone);
  if (open.length && !config.submission.allowOpenRelay) {
    throw new ConfigError(
      `invalid configuration in ${source}:\n  submission.trustedNetworks: ${open.join(', ')} trusts every address: anyone on the internet could relay mail through this server. ` +
      'List the networks of your own systems, or set submission.allowOpenRelay: true if a firewall in front already restricts who can connect',
    );
  }
  const rp = config.returnPath;
  for (const key of ['clientBytesPerMinute', 'archiveMaxBytes'] as const) {
    if (rp[key] < rp.maxMessageBytes) {
      throw new ConfigError(`invalid configuration in ${source}:\n  returnPath.${key}: ${rp[key]} is below returnPath.maxMessageBytes (${rp.maxMessageBytes}), so a report of that size could never be accepted; raise it or lower maxMessageBytes`);
    }
  }
  const pg = config.store.postgres;
  if (process.env.REBOUND_PG_URL) pg.url = process.env.REBOUND_PG_URL;
  if (config.store.engine === 'postgres' && !pg.url) {
    throw new ConfigError(`invalid configuration in ${source}:\n  store.postgres.url: store.engine is "postgres" but no URL is set; set store.postgres.url or REBOUND_PG_URL (postgres://user:password@host:5432/rebound)`);
  }
  if (config.submission.securePort !== null && !config.submission.tls) {
    throw new ConfigError(`invalid configuration in ${source}:\n  submission.securePort: needs submission.tls (key and cert)`);
  }
  return config;
}

/** Reads a JSON config file; a missing or unreadable file is a clear error. */
export function loadConfig(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read configuration file ${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`configuration file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  return parseConfig(json, file, path.dirname(path.resolve(file)));
}
