import { simpleParser } from 'mailparser';
import { addressOf, headerMap, parseHeaderBlock } from './headers.js';

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
  const lf = s.replace(/\r\n?/g, '\n');
  // A loop, not a /[^\n]{2001,}/ regex: that one rescans up to 2,000 characters at every position.
  if (!lf.split('\n').some((l) => l.length > MAX_LINE_CHARS)) return lf;
  return lf.split('\n').map((l) => (l.length > MAX_LINE_CHARS ? l.slice(0, MAX_LINE_CHARS) : l)).join('\n');
}

/** Reads raw mail into a LoadedMessage. Throws only on inputs mailparser cannot read at all. */
export async function loadMessage(raw: Buffer | string): Promise<LoadedMessage> {
  let buf = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
  if (buf.length > MAX_INPUT_BYTES) buf = buf.subarray(0, MAX_INPUT_BYTES);
  const head = toLf(buf.subarray(0, Math.min(buf.length, 64 * 1024)).toString('latin1'));
  const headers = headerMap(parseHeaderBlock(head, 2000));
  const mail = await simpleParser(buf, { skipHtmlToText: true, skipImageLinks: true, skipTextToHtml: true, skipTextLinks: true, maxHtmlLengthToParse: 512 * 1024 });
  let text = mail.text ?? '';
  if (!text.trim() && typeof mail.html === 'string') text = htmlToPlain(mail.html);
  // MIME that mailparser could not split (odd boundary syntax): read the raw body as text.
  if (!text.trim() && !(mail.attachments ?? []).length) text = rawBody(buf);
  const attachments: Attachment[] = [];
  for (const a of mail.attachments ?? []) {
    const ct = (a.contentType ?? '').toLowerCase();
    if (!/^(message\/|text\/)/.test(ct)) continue;
    const content: unknown = a.content;
    if (!Buffer.isBuffer(content)) continue;
    attachments.push({ contentType: ct, text: toLf(content.subarray(0, MAX_TEXT_CHARS).toString('utf8')) });
  }
  const subject = mail.subject ?? headers['subject'] ?? '';
  const fromValue = mail.from?.value?.[0]?.address ?? addressOf(headers['from']);
  return {
    headers,
    from: (fromValue ?? '').toLowerCase(),
    subject,
    contentType: (headers['content-type'] ?? '').toLowerCase(),
    text: toLf(text).slice(0, MAX_TEXT_CHARS),
    attachments,
  };
}

/** The undecoded body after the header block, without MIME boundary and part-header lines. */
function rawBody(buf: Buffer): string {
  const s = toLf(buf.subarray(0, MAX_TEXT_CHARS).toString('utf8'));
  const start = s.indexOf('\n\n');
  if (start < 0) return '';
  return s.slice(start + 2).split('\n').filter((l) => !/^--\S{6,}$/.test(l.trim())).join('\n');
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
