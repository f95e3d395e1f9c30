import { isFeedbackReport, parseFeedbackReport } from './arf.js';
import { finalize } from './finalize.js';
import { detectDialect } from './lhost/index.js';
import type { Dialect } from './lhost/index.js';
import { loadMessage } from './message.js';
import type { LoadedMessage } from './message.js';
import { addressesIn } from './headers.js';
import { readOriginal } from './original.js';
import { isDeliveryReport, parseDeliveryStatus } from './rfc3464.js';
import { isAutoReply, parseAutoReply } from './rfc3834.js';
import { commandIn, notificationText, scanTextBounce } from './text-scan.js';
import type { BounceRecord, Draft, ParsedReport, ReportKind } from './types.js';

export type { BounceRecord, OriginalMessage, ParsedReport, ReportKind, Draft } from './types.js';
export { parseFileToJsonl, toJsonlLine } from './jsonl.js';
export type { JsonlLine } from './jsonl.js';
export { DIALECTS } from './lhost/index.js';
export { splitMbox } from './mbox.js';

/** Subjects and senders of failure notices from MTAs we have no dialect for. */
const BOUNCE_SUBJECT = new RegExp([
  'undeliver', 'returned mail', 'returned to sender', 'delivery (?:status notification|failure|failed|has failed|problem|notification|error)',
  'failure notice', 'mail delivery', 'non[- ]?deliver', 'could not be delivered', 'not delivered', 'unable to deliver', 'could not deliver',
  'mail system error', 'delivery report',
  // German, French, Spanish, Portuguese, Italian, Dutch, Swedish, Polish, Russian, Japanese, Chinese
  'unzustellbar', 'nicht zustellbar', 'non remis', 'non distribu', 'no entregado', 'no se pudo entregar', 'n[ãa]o entregue',
  'non recapitabile', 'onbestelbaar', 'ej levererbar', 'olevererbar', 'niedostarczon', 'недостав', 'не доставлен',
  '配信(?:不能|エラー|失敗)', '送信エラー', 'エラーメール', '退信', '未送达', '無法傳遞', '无法投递',
].join('|'), 'i');
const DAEMON_FROM = /^(?:mailer-daemon|postmaster|mail-daemon|mailerdaemon|mail delivery)/i;

function looksLikeBounce(msg: LoadedMessage): boolean {
  return BOUNCE_SUBJECT.test(msg.subject) && (DAEMON_FROM.test(msg.from) || DAEMON_FROM.test(msg.headers['from'] ?? '') || msg.from === '');
}

/** The human-readable part of a report, read once per report (not once per recipient). */
interface Human {
  text: string;
  lower: string;
  lines: string[];
  lowerLines: string[];
  /** The stage the whole notice names, when a recipient's own lines do not. */
  command: string | undefined;
}

function readHuman(text: string): Human {
  const lower = text.toLowerCase();
  return { text, lower, lines: text.split('\n'), lowerLines: lower.split('\n'), command: commandIn(text) };
}

/** SMTP command per draft, from the human-readable part when the DSN does not say. */
function withCommand(d: Draft, human: Human): Draft {
  if (d.command) return d;
  const at = human.lower.indexOf(d.rcpt);
  const command = (at >= 0 ? commandIn(human.text.slice(at, at + 1500)) : human.command) ?? commandIn(d.diagnostic ?? '');
  return command ? { ...d, command } : d;
}

/** The human-readable lines about one recipient: its line (after the address) and the indented ones below. */
function humanLinesFor(rcpt: string, human: Human): string {
  const i = human.lowerLines.slice(0, 400).findIndex((l) => l.includes(rcpt));
  if (i < 0) return '';
  const line = human.lines[i]!;
  const out = [line.slice(human.lowerLines[i]!.indexOf(rcpt) + rcpt.length).replace(/^[>"']?\s*[:.]*\s*/, '')];
  for (const next of human.lines.slice(i + 1, i + 8)) {
    if (!/^[ \t]/.test(next) || !next.trim()) break;
    out.push(next.trim());
  }
  return out.join(' ').trim();
}

/**
 * A multi-line reply ("552-5.7.0 ...") that the DSN cut after its first line: take the whole reply
 * from the transcript in the human-readable part.
 */
function withFullReply(d: Draft, human: Human): Draft {
  const head = /^([245]\d\d)-(\S*)/.exec(d.diagnostic ?? '');
  if (!head) return d;
  const prefix = new RegExp(`^\\s*(?:<<<\\s*)?${head[1]}[ -]${head[2]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`);
  const lines = human.lines.filter((l) => prefix.test(l)).map((l) => l.replace(/^\s*(?:<<<\s*)?/, ''));
  if (lines.length < 2) return d;
  // Keep the first line's code; later lines repeat it.
  const rest = lines.slice(1, 20).map((l) => l.replace(/^[245]\d\d[ -](?:[245]\.\d{1,3}\.\d{1,3}\s*)?/, ''));
  return { ...d, diagnostic: [lines[0], ...rest].join(' ') };
}

/** When the DSN's Diagnostic-Code is empty, the human-readable part usually says it. */
function withContext(d: Draft, human: Human): Draft {
  if (d.context) return d;
  const at = human.lower.indexOf(d.rcpt);
  const near = at >= 0 ? human.text.slice(Math.max(0, at - 200), at + 1500) : human.text.slice(0, 3000);
  const own = d.diagnostic ? '' : humanLinesFor(d.rcpt, human);
  return own ? { ...d, diagnostic: own, context: near } : { ...d, context: near };
}

/**
 * A notice that names no recipient at all ("your message could not be delivered: mailbox full"):
 * the returned message's own recipient, when it had exactly one.
 */
function returnedRecipient(msg: LoadedMessage): Draft[] {
  const to = readOriginal(msg).headers?.['to'] ?? '';
  const all = addressesIn(to, 3);
  if (all.length !== 1) return [];
  const text = notificationText(msg);
  return [{ rcpt: all[0]!, diagnostic: text.slice(0, 1000), context: text }];
}

function readBounce(msg: LoadedMessage, dialect: Dialect | undefined): { drafts: Draft[]; kind: ReportKind; by: string } {
  const by = dialect?.name ?? 'RFC3464';
  let drafts = dialect?.parse?.(msg) ?? [];
  let kind: ReportKind = dialect ? 'lhost' : 'dsn';
  // A dialect's own reader may miss recipients its DSN part lists: the DSN wins when it has more.
  const dsn = !drafts.length || isDeliveryReport(msg) ? parseDeliveryStatus(msg) : [];
  if (dsn.length > drafts.length) {
    const human = readHuman(notificationText(msg));
    drafts = dsn.map((d) => withContext(withCommand(withFullReply(d, human), human), human));
    if (!dialect && drafts.length) kind = 'dsn';
  }
  if (!drafts.length && (dialect || isDeliveryReport(msg) || looksLikeBounce(msg))) drafts = scanTextBounce(msg);
  if (!drafts.length && (dialect || isDeliveryReport(msg) || looksLikeBounce(msg))) drafts = returnedRecipient(msg);
  if (dialect?.adjust) drafts = drafts.map((d) => dialect.adjust!(d, msg));
  return { drafts, kind, by };
}

/**
 * Reads one inbound report (DSN, ARF complaint, auto-reply, MTA-specific bounce) into records,
 * one per recipient. Never throws: unreadable input gives kind "none" with an error message.
 */
export async function parseReport(raw: Buffer | string): Promise<ParsedReport> {
  let msg: LoadedMessage;
  try {
    msg = await loadMessage(raw);
  } catch (e) {
    return { kind: 'none', results: [], original: {}, error: `unreadable message: ${(e as Error)?.message ?? String(e)}` };
  }
  try {
    const base = { original: readOriginal(msg), from: msg.from, subject: msg.subject };
    if (isFeedbackReport(msg)) {
      return { kind: 'arf', results: parseFeedbackReport(msg).map((d) => finalize(d, 'ARF')), ...base };
    }
    const dialect = detectDialect(msg);
    if (dialect || isDeliveryReport(msg) || looksLikeBounce(msg)) {
      const { drafts, kind, by } = readBounce(msg, dialect);
      if (drafts.length) return { kind, results: drafts.map((d) => finalize(d, by)), ...base };
    }
    if (isAutoReply(msg)) {
      return { kind: 'autoreply', results: parseAutoReply(msg).map((d) => finalize(d, 'RFC3834')), ...base };
    }
    return { kind: 'none', results: [], ...base };
  } catch (e) {
    return { kind: 'none', results: [] as BounceRecord[], original: {}, error: `parse failed: ${(e as Error)?.message ?? String(e)}` };
  }
}
