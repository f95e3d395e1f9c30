/** Where the header section ends (index of the blank line), or -1 if the message has none. */
export function headerEnd(raw: Buffer): number {
  const crlf = raw.indexOf('\r\n\r\n');
  if (crlf !== -1) return crlf + 2;
  return -1;
}

/** Reads the Message-ID header (without angle brackets) from the header section. */
export function findMessageId(raw: Buffer): string | null {
  const end = headerEnd(raw);
  const head = raw.subarray(0, end === -1 ? Math.min(raw.length, 64 * 1024) : end).toString('latin1');
  const m = /^message-id:[ \t]*(?:\r\n[ \t]+)?<?([^<>\s]+)>?/im.exec(head);
  return m ? m[1]! : null;
}

/** True if the data has a LF without CR before it, or a CR without LF after it. */
export function hasBareLineEnding(raw: Buffer): boolean {
  for (let i = raw.indexOf(0x0a); i !== -1; i = raw.indexOf(0x0a, i + 1)) {
    if (i === 0 || raw[i - 1] !== 0x0d) return true;
  }
  for (let i = raw.indexOf(0x0d); i !== -1; i = raw.indexOf(0x0d, i + 1)) {
    if (raw[i + 1] !== 0x0a) return true;
  }
  return false;
}

/** Converts bare LF and bare CR to CRLF. */
export function normalizeLineEndings(raw: Buffer): Buffer {
  return Buffer.from(raw.toString('latin1').replace(/\r\n|\r|\n/g, '\r\n'), 'latin1');
}

/** The unfolded values of every header field with this name (case-insensitive), in order. */
export function headerFields(raw: Buffer, name: string): string[] {
  const end = headerEnd(raw);
  const head = raw.subarray(0, end === -1 ? Math.min(raw.length, 64 * 1024) : end).toString('utf8');
  const want = name.toLowerCase() + ':';
  const out: string[] = [];
  let current: string | null = null;
  for (const line of head.split(/\r?\n/)) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && current !== null) {
      current += ' ' + line.trim();
      continue;
    }
    if (current !== null) out.push(current.trim());
    current = line.toLowerCase().startsWith(want) ? line.slice(want.length) : null;
  }
  if (current !== null) out.push(current.trim());
  return out;
}
