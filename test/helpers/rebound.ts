// Starts a real Rebound in-process on a temp data dir, with test-sized timings.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { parseConfig, type Config, type ConfigInput } from '../../src/config.js';
import { Rebound, type StartOptions } from '../../src/main.js';
import type { MessageQuery, RecipientQuery, Store } from '../../src/store/index.js';
import type { MessageRecord, RecipientEvent, RecipientRecord } from '../../src/types.js';
import { silentLogger } from '../../src/util/logger.js';

export function tempDir(prefix = 'rebound-test-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

export function testConfig(dataDir: string, upstreamPort: number, over: DeepPartial<ConfigInput> = {}): Config {
  const base = {
    dataDir,
    log: { level: 'silent' },
    submission: { port: 0, trustedNetworks: ['127.0.0.1/32'], socketTimeoutMs: 5_000, ...(over.submission ?? {}) },
    delivery: {
      mode: 'smarthost',
      smarthost: { host: '127.0.0.1', port: upstreamPort, rejectUnauthorized: false, ...(over.delivery?.smarthost ?? {}) },
      retry: { firstDelayMs: 200, maxDelayMs: 400, lifetimeMs: 60_000, ...(over.delivery?.retry ?? {}) },
      connectTimeoutMs: 2_000, greetingTimeoutMs: 2_000, socketTimeoutMs: 5_000, idleTimeoutMs: 500,
      ...(over.delivery ?? {}),
    },
    store: { flushIntervalMs: 20, shards: 4, ...(over.store ?? {}) },
    returnPath: { port: 0, ...(over.returnPath ?? {}) },
    http: { port: 0, ...(over.http ?? {}) },
  };
  if (over.delivery?.smarthost) base.delivery.smarthost = { host: '127.0.0.1', port: upstreamPort, rejectUnauthorized: false, ...over.delivery.smarthost };
  if (over.delivery?.retry) base.delivery.retry = { firstDelayMs: 200, maxDelayMs: 400, lifetimeMs: 60_000, ...over.delivery.retry };
  return parseConfig(base);
}

export async function startRebound(config: Config, opts: StartOptions = {}): Promise<Rebound> {
  return Rebound.start(config, { logger: silentLogger(), ...opts });
}

export function cleanup(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export interface SendOptions {
  from?: string;
  to: string | string[];
  subject?: string;
  text?: string;
  auth?: { user: string; pass: string };
  secure?: boolean;
  requireTLS?: boolean;
}

/** Sends one message through the submission port with nodemailer (a real SMTP client). */
export async function send(port: number, o: SendOptions): Promise<{ response: string; accepted: string[]; messageId: string }> {
  const t = nodemailer.createTransport({
    host: '127.0.0.1', port, secure: o.secure ?? false, requireTLS: o.requireTLS ?? false, ignoreTLS: !o.requireTLS && !o.secure,
    tls: { rejectUnauthorized: false }, ...(o.auth ? { auth: o.auth } : {}),
  });
  try {
    const info = await t.sendMail({ from: o.from ?? 'sender@example.com', to: o.to, subject: o.subject ?? 'test', text: o.text ?? 'hello' });
    return { response: info.response, accepted: info.accepted as string[], messageId: info.messageId };
  } finally {
    t.close();
  }
}

type Falsy = undefined | null | false;
/** The queue id in a submission's "250 2.0.0 Ok: queued as QUEUEID" reply. */
export function queueIdOf(response: string): string {
  const m = /queued as ([0-9A-Z]+)/.exec(response);
  if (!m) throw new Error(`no queue id in ${JSON.stringify(response)}`);
  return m[1]!;
}

export async function waitFor<T>(fn: () => T | Falsy | Promise<T | Falsy>, timeoutMs = 10_000, stepMs = 20): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** Every event the store holds (the whole retention window), oldest first. */
export async function allEvents(store: Store): Promise<RecipientEvent[]> {
  const out: RecipientEvent[] = [];
  for await (const e of store.eventsSince(0)) out.push(e);
  return out;
}

/** Every message matching `q`, newest first (read through the store's scan). */
export async function listMessages(store: Store, q: MessageQuery = {}): Promise<MessageRecord[]> {
  const out: MessageRecord[] = [];
  for await (const m of store.scanMessages(q)) out.push(m);
  return out;
}

/** The recipients matching `q`, most recently active first; with `limit`, the first page of that many. */
export async function listRecipients(store: Store, q: RecipientQuery & { limit?: number } = {}): Promise<RecipientRecord[]> {
  const { limit, ...query } = q;
  if (limit !== undefined) return (await store.pageRecipients(query, { limit })).items;
  const out: RecipientRecord[] = [];
  for await (const r of store.scanRecipients(query)) out.push(r);
  return out;
}
