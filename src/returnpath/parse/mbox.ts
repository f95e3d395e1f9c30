/**
 * Splits an mbox (messages each introduced by a "From sender date" line) into its messages.
 * Input that does not start with such a line is one message.
 */
const FROM_LINE = /^From \S+ {1,2}\S.{0,80}\d{4}\s*$/;

export function splitMbox(raw: Buffer | string): Array<Buffer | string> {
  const text = typeof raw === 'string' ? raw : raw.toString('latin1');
  const firstEnd = text.indexOf('\n');
  if (firstEnd < 0 || !FROM_LINE.test(text.slice(0, firstEnd).replace(/\r$/, ''))) return [raw];
  const out: string[] = [];
  let start = 0;
  let pos = firstEnd + 1;
  let prevBlank = false;
  while (pos < text.length && out.length < 1000) {
    const end = text.indexOf('\n', pos);
    const line = text.slice(pos, end < 0 ? text.length : end).replace(/\r$/, '');
    // Strict mbox puts a blank line before "From "; some writers do not, so a header line after it is accepted too.
    if (FROM_LINE.test(line) && (prevBlank || /^[A-Za-z][A-Za-z0-9-]{0,60}:/.test(text.slice(end + 1, end + 80)))) {
      out.push(text.slice(start, pos));
      start = pos;
    }
    prevBlank = line === '';
    if (end < 0) break;
    pos = end + 1;
  }
  out.push(text.slice(start));
  // Drop each message's "From " envelope line; keep bytes as they were (latin1 round-trips).
  return out.map((m) => {
    const body = m.slice(m.indexOf('\n') + 1);
    return typeof raw === 'string' ? body : Buffer.from(body, 'latin1');
  });
}
