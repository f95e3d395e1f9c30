/**
 * A small, bounded MIME reader for reports: it reads only what a verdict needs (the top headers,
 * the text parts, the report parts and the head of the returned message) and caps every step
 * (input bytes, parts, nesting depth, decoded characters), so hostile MIME costs little.
 * Everything works on "binary" strings (one char per byte, latin1) until a part is decoded.
 */
import { headerMap, parseHeaderBlock } from './headers.js';

export interface MimeLimits {
  /** Parts visited in the whole tree. */
  maxParts: number;
  /** Multipart nesting depth. */
  maxDepth: number;
  /** Decoded characters kept per leaf part. */
  maxPartChars: number;
}

export const DEFAULT_LIMITS: MimeLimits = { maxParts: 64, maxDepth: 8, maxPartChars: 128 * 1024 };

/** One leaf part: its lower-cased type, whether it is an attachment, and its decoded text. */
export interface MimeLeaf {
  contentType: string;
  attachment: boolean;
  text: string;
}

export interface MimeTree {
  headers: Record<string, string>;
  leaves: MimeLeaf[];
}

/** Splits "headers\n\nbody" (LF line ends). A message without a blank line is all headers. */
export function splitHeadBody(s: string): [string, string] {
  if (s.startsWith('\n')) return ['', s.slice(1)];
  const i = s.indexOf('\n\n');
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 2)];
}

/** A parameter of a structured header value ("boundary", "charset"), unquoted. */
export function headerParam(value: string, name: string): string {
  const at = value.toLowerCase().indexOf(name + '=');
  if (at < 0) {
    // "boundary = x" with spaces: rare, but seen.
    const m = new RegExp(`(?:^|;)[ \\t]*${name}[ \\t]*=[ \\t]*("[^"]{0,200}"|[^;\\s]{1,200})`, 'i').exec(value.slice(0, 2000));
    return m ? m[1]!.replace(/^"|"$/g, '') : '';
  }
  const rest = value.slice(at + name.length + 1);
  if (rest.startsWith('"')) {
    const end = rest.indexOf('"', 1);
    return rest.slice(1, end < 0 ? 201 : Math.min(end, 201));
  }
  return /^[^;\s]{0,200}/.exec(rest)![0];
}

const decoders = new Map<string, TextDecoder>();

/** Bytes (as a binary string) in a charset to text; unknown charsets fall back to UTF-8. */
export function decodeCharset(binary: string, charset: string): string {
  const cs = (charset || 'utf-8').toLowerCase().trim();
  // Pure ASCII reads the same in every charset we meet except UTF-7 / ISO-2022 escapes.
  if (!/[^\x00-\x7f]/.test(binary) && !binary.includes('\x1b') && !cs.includes('utf-7')) return binary;
  let d = decoders.get(cs);
  if (!d) {
    try {
      d = new TextDecoder(cs === 'us-ascii' || cs === 'ascii' ? 'utf-8' : cs);
    } catch {
      d = decoders.get('utf-8') ?? new TextDecoder('utf-8');
    }
    decoders.set(cs, d);
  }
  return d.decode(Buffer.from(binary, 'latin1'));
}

/** Quoted-printable to bytes (binary string). */
function decodeQuotedPrintable(s: string): string {
  return s.replace(/=[ \t]*\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/** A part body by its Content-Transfer-Encoding, as bytes (binary string), at most `cap` of them. */
function decodeTransfer(body: string, encoding: string, cap: number): string {
  const e = encoding.toLowerCase().trim();
  if (e === 'base64') return Buffer.from(body.slice(0, Math.ceil(cap * 1.4) + 4), 'base64').toString('latin1').slice(0, cap);
  if (e === 'quoted-printable') return decodeQuotedPrintable(body.slice(0, cap * 3)).slice(0, cap);
  return body.slice(0, cap);
}

/** RFC 2047 encoded words ("=?utf-8?B?...?=") in a header value. */
export function decodeWords(value: string): string {
  if (!value.includes('=?')) return value;
  return value
    .slice(0, 4000)
    .replace(/(\?=)[ \t]+(?==\?)/g, '$1')
    .replace(/=\?([^?\s]{1,40})\?([bBqQ])\?([^?\s]{0,1000})\?=/g, (_, cs: string, enc: string, data: string) => {
      const bytes = enc.toLowerCase() === 'b'
        ? Buffer.from(data, 'base64').toString('latin1')
        : data.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (__, h: string) => String.fromCharCode(parseInt(h, 16)));
      return decodeCharset(bytes, cs.replace(/\*.*$/, ''));
    });
}

/** The parts of a multipart body between its boundary lines (preamble and epilogue dropped). */
function splitMultipart(body: string, boundary: string, room: number): string[] | undefined {
  const delim = '--' + boundary;
  const parts: string[] = [];
  let pos = body.startsWith(delim) ? 0 : body.indexOf('\n' + delim);
  if (pos < 0) return undefined;
  if (pos > 0) pos += 1;
  while (parts.length < room) {
    const lineEnd = body.indexOf('\n', pos);
    const line = body.slice(pos + delim.length, lineEnd < 0 ? body.length : lineEnd);
    if (line.startsWith('--')) break; // closing delimiter
    if (lineEnd < 0) break;
    const next = body.indexOf('\n' + delim, lineEnd);
    parts.push(body.slice(lineEnd + 1, next < 0 ? body.length : next));
    if (next < 0) break;
    pos = next + 1;
  }
  return parts;
}

/** Walks the MIME tree of an LF-normalised binary message, collecting leaf parts in order. */
export function readMime(s: string, limits: MimeLimits = DEFAULT_LIMITS): MimeTree {
  const [head, body] = splitHeadBody(s);
  const headers = headerMap(parseHeaderBlock(head, 2000));
  const leaves: MimeLeaf[] = [];
  let budget = limits.maxParts;

  const walk = (h: Record<string, string>, content: string, depth: number, parentType: string): void => {
    if (budget-- <= 0) return;
    const ctValue = h['content-type'] ?? '';
    const type = (/^\s*([^;\s]{1,100})/.exec(ctValue)?.[1] ?? (parentType === 'multipart/digest' ? 'message/rfc822' : 'text/plain')).toLowerCase();
    const disposition = (h['content-disposition'] ?? '').toLowerCase();
    if (type.startsWith('multipart/')) {
      const boundary = headerParam(ctValue, 'boundary');
      const parts = boundary && depth < limits.maxDepth ? splitMultipart(content, boundary, budget) : undefined;
      if (!parts) {
        // Unsplittable multipart (bad boundary): its body is the best text there is.
        leaves.push({ contentType: 'text/plain', attachment: false, text: plainOf(content, '', '', limits.maxPartChars) });
        return;
      }
      let chosen = parts;
      if (type === 'multipart/alternative') {
        // One rendering is enough: the plain one when there is one.
        const plain = parts.find((p) => /^content-type:[ \t]*text\/plain/im.test(splitHeadBody(p)[0]));
        chosen = [plain ?? parts[parts.length - 1]!];
      }
      for (const p of chosen) {
        const [ph, pb] = splitHeadBody(p);
        walk(headerMap(parseHeaderBlock(ph, 200)), pb, depth + 1, type);
      }
      return;
    }
    const charset = headerParam(ctValue, 'charset');
    const text = plainOf(content, h['content-transfer-encoding'] ?? '', charset, limits.maxPartChars);
    leaves.push({ contentType: ctValue.toLowerCase() || type, attachment: /^\s*attachment/.test(disposition), text });
  };

  walk(headers, body, 0, '');
  return { headers, leaves };
}

function plainOf(content: string, encoding: string, charset: string, cap: number): string {
  const bytes = decodeTransfer(content, encoding, cap);
  const text = decodeCharset(bytes, charset);
  return encoding ? text.replace(/\r\n?/g, '\n') : text;
}
