import { addressOf, addressesIn } from './headers.js';
import type { LoadedMessage } from './message.js';
import type { Draft } from './types.js';

/**
 * Lines where the notice for people ends: the returned copy of the original message begins (MTAs'
 * own separators, or the first header line of the copy), or the DSN's machine-readable fields. Tried sticky at each line start only, with [ \t]* (never \s*,
 * which would run across blank lines).
 */
const ORIGINAL_START = new RegExp([
  '[ \\t]*-{2,}[ \\t]*(?:original message|this is a copy of the message|below this line is a copy|enclosed is a copy|returned message|original message follows|undelivered message|the original message|message text follows|unsent message below|the header of the original|header of original message)',
  '[ \\t]*(?:-+[ \\t]*)?(?:this is a copy of the message|below this line is a copy of the message|original message follows)',
  '[ \\t]*message headers follow',
  '[ \\t]*-{3,} ?(?:original|returned|undelivered)[ a-z]{0,30}-{3,}[ \\t]*(?:\\n|$)',
  '(?:return-path|received|dkim-signature|x-received|arc-seal|x-google-dkim-signature):[ \\t]',
  'content-type:[ \\t]*(?:message\\/rfc822|text\\/rfc822-headers)',
  // The machine-readable part of a DSN shown inline: the notice for people has ended.
  '(?:reporting-mta|final-recipient|original-envelope-id):[ \\t]',
].join('|'), 'iy');

/** The notification text: everything before the returned original. */
export function notificationText(msg: LoadedMessage, cap = 16384): string {
  const text = msg.text.slice(0, 64 * 1024);
  for (let at = 0; at < text.length;) {
    ORIGINAL_START.lastIndex = at;
    if (ORIGINAL_START.test(text)) return text.slice(0, at).replace(/\n$/, '').slice(0, cap);
    const next = text.indexOf('\n', at);
    if (next < 0) break;
    at = next + 1;
  }
  return text.slice(0, cap);
}

/**
 * How MTAs say which command a reply answered: Postfix "(in reply to RCPT TO command)", Exim
 * "after RCPT TO:<a@b>", DragonFly "did not like our RCPT TO", Sendmail transcripts (">>> RCPT")
 * and "<a@b>... User unknown" replies, qmail's "does not like recipient" / "failed after I sent
 * the message", Postfix smtpd's "Recipient address rejected" (RCPT) and "Sender address rejected",
 * Yahoo's "[RCPT_TO]" / "[MAIL_FROM]" / "[BODY]" tags.
 */
const COMMANDS: ReadonlyArray<[RegExp, string]> = [
  [/\b(?:in\s+reply\s+to|after(?:\s+pipelined)?|did\s+not\s+like\s+our|response\s+to|while\s+talking\s+to[^\n]{0,80}\n?[ \t]*>>>)\s*(?:the\s+)?(rcpt(?:\s+to)?|mail(?:\s+from)?|end\s+of\s+data|data|helo|ehlo|initial\s+connection|connect)\b/i, ''],
  [/^[ \t]*>>>[ \t]*(rcpt to|mail from|data|helo|ehlo)\b/im, ''],
  [/does not like recipient|recipient address rejected|\[rcpt_to\]/i, 'RCPT'],
  [/does not like sender|but sender was rejected|sender address rejected|\[mail_from\]/i, 'MAIL'],
  [/failed after i sent the message|failed on data command|\[body\]|\[end_of_data\]/i, 'DATA'],
  [/but my name was rejected|while performing the (?:ehlo|helo|lhlo) handshake/i, 'HELO'],
  [/but greeting failed|refused to talk to me|while receiving the initial server greeting/i, 'CONN'],
  [/while sending (?:message body|end of data|data command|data)\b/i, 'DATA'],
  [/while sending rcpt to\b/i, 'RCPT'],
  [/while sending mail from\b/i, 'MAIL'],
];

/** The SMTP command a failure text says it answered, normalised (RCPT, MAIL, DATA, HELO, CONN). */
export function commandIn(text: string): string | undefined {
  const head = text.slice(0, 8192);
  for (const [re, fixed] of COMMANDS) {
    const m = re.exec(head);
    if (!m) continue;
    if (fixed) return fixed;
    const c = m[1]!.toLowerCase();
    if (c.startsWith('rcpt')) return 'RCPT';
    if (c.startsWith('mail')) return 'MAIL';
    if (c.includes('data')) return 'DATA';
    if (c === 'helo' || c === 'ehlo') return 'HELO';
    return 'CONN';
  }
  return undefined;
}

/** Role addresses of the reporting system, never the bounced recipient. */
function isSystemAddress(a: string): boolean {
  return /^(?:mailer-daemon|postmaster|noreply|no-reply|double-bounce|abuse|support|help)@/i.test(a);
}

/** Line shapes that present a recipient: "<a@b>:", "a@b", "To: a@b", "Recipient: <a@b>", "a@b: 550 why" (OpenSMTPD, Postfix). */
const RECIPIENT_LINE = /^\s*(?:(?:recipient|recipients|recipient address|address|e-?mail|original-recipient|failed recipient|destinataire|empfänger)\s*:\s*)?(?:rfc822;\s*)?["<]?([^\s<>():,;"]{1,128}@[^\s<>():,;"]{1,255}?)[">]?(?:\s*(?:[:.,;]|\(.{0,120}\)|on .{0,60}|\.{3}.*)|:[ \t]+\S.*)?\s*$/i;

export interface ScanOptions {
  /** Addresses known not to be recipients (the bounce's own From/To, the original sender). */
  exclude?: string[];
  /** Text to scan instead of the notification text. */
  text?: string;
}

/**
 * Generic reader for plain-text bounces: finds the recipients, and for each the text that follows
 * it (its diagnostic); the whole notification is kept as context for classification.
 */
export function scanTextBounce(msg: LoadedMessage, opts: ScanOptions = {}): Draft[] {
  const text = opts.text ?? notificationText(msg);
  const exclude = new Set((opts.exclude ?? []).map((a) => a.toLowerCase()).filter(Boolean));
  exclude.add(msg.from);
  exclude.add(addressOf(msg.headers['to']));

  const failed = (msg.headers['x-failed-recipients'] ?? '').split(',').map((s) => addressOf(s)).filter(Boolean);
  const lines = text.split('\n');
  // Recipient lines, in order.
  const hits: Array<{ rcpt: string; line: number }> = [];
  lines.forEach((line, i) => {
    const m = RECIPIENT_LINE.exec(line);
    if (!m) return;
    const a = addressOf(m[1]);
    if (a && !exclude.has(a) && !isSystemAddress(a)) hits.push({ rcpt: a, line: i });
  });
  let rcpts: Array<{ rcpt: string; line: number }> = hits;
  if (failed.length) {
    rcpts = failed.map((a) => hits.find((h) => h.rcpt === a) ?? { rcpt: a, line: lines.findIndex((l) => l.toLowerCase().includes(a)) });
  }
  if (!rcpts.length) {
    const any = addressesIn(text).filter((a) => !exclude.has(a) && !isSystemAddress(a));
    if (any[0]) rcpts = [{ rcpt: any[0], line: lines.findIndex((l) => l.toLowerCase().includes(any[0]!)) }];
  }
  // First occurrence per recipient.
  const seen = new Set<string>();
  rcpts = rcpts.filter((r) => (seen.has(r.rcpt) ? false : (seen.add(r.rcpt), true)));
  const starts = rcpts.map((r) => r.line).filter((n) => n >= 0).sort((a, b) => a - b);
  return rcpts.map((r) => {
    let diagnostic = '';
    if (r.line >= 0) {
      const next = starts.find((n) => n > r.line) ?? lines.length;
      const own = lines[r.line]!.replace(/^.*?@[^\s<>:]+>?:?/, '').trim();
      // The recipient's paragraph: up to the first blank line after some text.
      const para: string[] = [own];
      for (const l of lines.slice(r.line + 1, Math.min(next, r.line + 40))) {
        if (!l.trim()) { if (para.join('').trim()) break; continue; }
        para.push(l);
      }
      diagnostic = para.join('\n').trim();
    }
    const d: Draft = { rcpt: r.rcpt, diagnostic, context: text };
    const command = commandIn(diagnostic) ?? commandIn(text);
    if (command) d.command = command;
    return d;
  });
}
