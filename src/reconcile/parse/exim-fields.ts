// Pieces of an Exim delivery line after the flag: the address part, then "X=value" fields,
// then (for failures and deferrals) ": error text".

/** Index where the "R=", "T=", ... fields start (the space before them), or -1. */
export function fieldsStart(line: string, from: number): number {
  for (let i = line.indexOf(' ', from); i >= 0; i = line.indexOf(' ', i + 1)) {
    // A field is " NAME=" with NAME upper-case letters/digits (R, T, H, C, QT, DT, CV, M8S, ...).
    let j = i + 1;
    const first = line.charCodeAt(j);
    if (first < 65 || first > 90) continue;
    while (j < line.length) {
      const c = line.charCodeAt(j);
      if ((c >= 65 && c <= 90) || (c >= 48 && c <= 57)) j++;
      else break;
    }
    if (line.charCodeAt(j) === 61 /* = */ && j - i <= 5) return i;
  }
  return -1;
}

/** Value of a field like ' R=' in [from, to): up to the next space. */
export function simpleField(line: string, name: string, from: number, to: number): string | undefined {
  const at = line.indexOf(name, from);
  if (at < 0 || at >= to) return undefined;
  const start = at + name.length;
  let end = line.indexOf(' ', start);
  if (end < 0 || end > to) end = to;
  return line.slice(start, end);
}

/** 'H=host [ip]:port' -> 'host[ip]:port' (the Postfix spelling, so relays compare across formats). */
export function hostField(line: string, from: number, to: number): string | undefined {
  const at = line.indexOf(' H=', from);
  if (at < 0 || at >= to) return undefined;
  const start = at + 3;
  let end = line.indexOf(' ', start);
  if (end < 0 || end > to) end = to;
  let host = line.slice(start, end);
  if (line.charCodeAt(end + 1) === 40 /* ( helo ) */) {
    const close = line.indexOf(') ', end);
    if (close > 0 && close < to) end = close + 1;
  }
  if (line.charCodeAt(end + 1) === 91 /* [ */) {
    let close = line.indexOf(']', end);
    if (close > 0 && close < to) {
      if (line.charCodeAt(close + 1) === 58 /* : */) {
        const sp = line.indexOf(' ', close);
        close = (sp < 0 || sp > to ? to : sp) - 1;
      }
      host += line.slice(end + 1, close + 1);
    }
  }
  return host.endsWith(':') ? host.slice(0, -1) : host;
}

/** Contents of C="..." (backslash escapes undone), or undefined. */
export function quotedField(line: string, name: string, from: number): string | undefined {
  const at = line.indexOf(name, from);
  if (at < 0) return undefined;
  let out = '';
  for (let i = at + name.length; i < line.length; i++) {
    const c = line[i];
    if (c === '\\' && i + 1 < line.length) out += line[++i];
    else if (c === '"') return out;
    else out += c;
  }
  return out;
}

/** Splits "addr (parent, ...) <original>" into the delivered address and the original one. */
export function splitAddressPart(part: string): { rcpt?: string; orig?: string } {
  let orig: string | undefined;
  let head = part;
  if (part.endsWith('>')) {
    const lt = part.lastIndexOf('<');
    if (lt >= 0) {
      orig = part.slice(lt + 1, -1);
      head = part.slice(0, lt).trimEnd();
    }
  }
  const paren = head.indexOf(' (');
  const primary = (paren >= 0 ? head.slice(0, paren) : head).trim();
  const usable = primary.includes('@') && !primary.startsWith('|') && !primary.startsWith('/');
  if (usable) return orig && orig !== primary ? { rcpt: primary, orig } : { rcpt: primary };
  // A local part, a pipe or a file: the <original address> is the recipient we know.
  if (orig) return { rcpt: orig };
  return primary ? { rcpt: primary } : {};
}
