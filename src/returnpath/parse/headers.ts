/** Minimal RFC 5322 header-block reading, for returned originals and field blocks. */

/** Splits a header block into unfolded "name: value" pairs (names lower-cased). */
export function parseHeaderBlock(block: string, maxLines = 400): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const end = block.indexOf('\n\n');
  const lines = (end < 0 ? block.slice(0, 128 * 1024) : block.slice(0, end)).split('\n', maxLines);
  for (const rawLine of lines) {
    const line = rawLine.replace(/\r$/, '');
    if (line === '') break;
    if (/^[ \t]/.test(line)) {
      const last = out[out.length - 1];
      if (last) last[1] += ' ' + line.trim();
      continue;
    }
    const i = line.indexOf(':');
    if (i <= 0 || i > 76) continue;
    const name = line.slice(0, i).trim().toLowerCase();
    if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name)) continue;
    out.push([name, line.slice(i + 1).trim()]);
  }
  return out;
}

/** First value per header name. */
export function headerMap(pairs: Array<[string, string]>): Record<string, string> {
  // No prototype: a header named "constructor" or "__proto__" is just a header, and lookups stay
  // own-property lookups.
  const map = Object.create(null) as Record<string, string>;
  for (const [k, v] of pairs) if (map[k] === undefined) map[k] = v;
  return map;
}

const ADDRESS = /[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+/;
const ADDRESS_G = new RegExp(ADDRESS.source, 'g');

/** The first e-mail address in a value ("Name <a@b>", "rfc822; a@b"), lower-cased. */
export function addressOf(value: string | undefined): string {
  if (!value) return '';
  const angle = /<([^<>\s]{3,254})>/.exec(value);
  const m = ADDRESS.exec(angle ? angle[1]! : value) ?? ADDRESS.exec(value);
  return m ? m[0].replace(/^[.'`]+|[.'`]+$/g, '').toLowerCase() : '';
}

/** Every address in a text, lower-cased, in order of appearance, de-duplicated. */
export function addressesIn(text: string, limit = 50): string[] {
  const seen = new Set<string>();
  for (const m of text.matchAll(ADDRESS_G)) {
    const a = m[0].replace(/^[.'`]+|[.'`]+$/g, '').toLowerCase();
    if (!seen.has(a)) seen.add(a);
    if (seen.size >= limit) break;
  }
  return [...seen];
}
