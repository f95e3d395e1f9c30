import { addressOf } from './headers.js';
import { decodeWords, readMime } from './mime.js';

/** Largest input we read; bounces are small, anything bigger is cut (attachments do not matter). */
export const MAX_INPUT_BYTES = 2 * 1024 * 1024;
/** Largest decoded text we scan with phrase rules. */
export const MAX_TEXT_CHARS = 256 * 1024;

export interface Attachment {
  contentType: string;
  text: string;
}

/** A bounce as the dialects see it: decoded, flattened, capped. */
export interface LoadedMessage {
  /** Top-level headers, first value per lower-cased name. */
  headers: Record<string, string>;
  /** Lower-cased address of From. */
  from: string;
  /** Decoded Subject. */
  subject: string;
  /** Lower-cased top-level Content-Type value. */
  contentType: string;
  /** Decoded text of the text parts (and inline report parts), LF line ends. */
  text: string;
  attachments: Attachment[];
}

/** Longest line kept for scanning: bounds every per-line pattern whatever the input. */
export const MAX_LINE_CHARS = 2000;

/** LF line ends and no line longer than MAX_LINE_CHARS. */
function toLf(s: string): string {
  const lf = s.includes('\r') ? s.replace(/\r\n?/g, '\n') : s;
  // A loop, not a /[^\n]{2001,}/ regex: that one rescans up to 2,000 characters at every position.
  let long = false;
  for (let at = 0, next = 0; at < lf.length; at = next + 1) {
    next = lf.indexOf('\n', at);
    if (next < 0) next = lf.length;
    if (next - at > MAX_LINE_CHARS) { long = true; break; }
  }
  if (!long) return lf;
  return lf.split('\n').map((l) => (l.length > MAX_LINE_CHARS ? l.slice(0, MAX_LINE_CHARS) : l)).join('\n');
}

/** Part types whose text is read inline, as mail clients show them (the report fields). */
const INLINE_REPORT = /^(?:message\/(?:delivery-status|global-delivery-status|disposition-notification)|text\/(?!html|rfc822-header))/;

/** Reads raw mail into a LoadedMessage. Never throws; unreadable input gives empty fields. */
export async function loadMessage(raw: Buffer | string): Promise<LoadedMessage> {
  return readMessage(raw);
}

/** Synchronous core of loadMessage (bounded work, no I/O). */
export function readMessage(raw: Buffer | string): LoadedMessage {
  let buf = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
  if (buf.length > MAX_INPUT_BYTES) buf = buf.subarray(0, MAX_INPUT_BYTES);
  const binary = buf.toString('latin1').replace(/\r\n?/g, '\n');
  const tree = readMime(binary);
  const texts: string[] = [];
  const html: string[] = [];
  const attachments: Attachment[] = [];
  let chars = 0;
  for (const leaf of tree.leaves) {
    if (!leaf.attachment && INLINE_REPORT.test(leaf.contentType)) {
      if (chars < MAX_TEXT_CHARS) texts.push(leaf.text);
      chars += leaf.text.length;
    } else if (!leaf.attachment && leaf.contentType.startsWith('text/html')) {
      html.push(leaf.text);
    } else if (/^(?:message\/|text\/)/.test(leaf.contentType)) {
      attachments.push({ contentType: leaf.contentType, text: toLf(leaf.text.slice(0, MAX_TEXT_CHARS)) });
    }
  }
  let text = texts.join('\n');
  if (!text.trim() && html.length) text = htmlToPlain(html.join('\n'));
  const headers = tree.headers;
  const subject = decodeWords(headers['subject'] ?? '').trim();
  return {
    headers,
    from: senderOf(decodeWords(headers['from'] ?? '')),
    subject,
    contentType: (headers['content-type'] ?? '').toLowerCase(),
    text: toLf(text.slice(0, MAX_TEXT_CHARS)),
    attachments,
  };
}

/** The From address, lower-cased; a bare local name ("MAILER-DAEMON") when it has no domain. */
function senderOf(value: string): string {
  const angle = /<([^<>]{0,254})>/.exec(value);
  if (angle) return angle[1]!.trim().toLowerCase();
  const a = /[^\s<>"(),;:]{1,64}@[^\s<>"(),;:]{1,254}/.exec(value)?.[0] ?? addressOf(value);
  if (a) return a.toLowerCase();
  return (/^\s*([^\s<>"(),;@]{1,64})(?:\s|$)/.exec(value)?.[1] ?? '').toLowerCase();
}

/** Crude but bounded HTML to text, for bounces that only come as HTML. */
function htmlToPlain(html: string): string {
  return html
    .slice(0, MAX_TEXT_CHARS)
    .replace(/<(script|style)[^>]{0,200}>[\s\S]{0,20000}?<\/\1>/gi, ' ')
    .replace(/<br\s*\/?>|<\/p>|<\/div>|<\/tr>/gi, '\n')
    .replace(/<[^>]{0,500}>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
