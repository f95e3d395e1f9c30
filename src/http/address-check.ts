// Checks an address before anyone sends to it: syntax (RFC 5321/5322 basics), whether its
// domain can receive mail (MX), and a "did you mean" for typos of common mailbox providers.
import type { MxResolver } from '../delivery/route.js';

export interface SyntaxVerdict {
  valid: boolean;
  /** What is wrong, in words that say what to fix. */
  error: string | null;
  local: string | null;
  domain: string | null;
}

export type MxStatus = 'ok' | 'no-mx' | 'null-mx' | 'nxdomain' | 'error';

export interface MxVerdict {
  status: MxStatus;
  /** MX hosts in preference order. */
  hosts: string[];
  detail: string | null;
}

export interface AddressCheck {
  email: string;
  /** Syntax is right and the domain can receive mail. */
  deliverable: boolean;
  syntax: SyntaxVerdict;
  mx: MxVerdict | null;
  /** The address with a likely typo in the domain fixed, or null. */
  suggestion: string | null;
}

// RFC 5322 atext; non-ASCII is allowed as SMTPUTF8 (RFC 6531) does.
const DOT_ATOM_LOCAL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\uFFFF-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\uFFFF-]+)*$/;
const QUOTED_LOCAL = /^"([\x20\x21\x23-\x5b\x5d-\x7e]|\\[\x20-\x7e])*"$/;
const LABEL = /^[A-Za-z0-9\u0080-\uFFFF]([A-Za-z0-9\u0080-\uFFFF-]{0,61}[A-Za-z0-9\u0080-\uFFFF])?$/;

export function checkSyntax(input: string): SyntaxVerdict {
  const bad = (error: string, local: string | null = null, domain: string | null = null): SyntaxVerdict => ({ valid: false, error, local, domain });
  const email = input.trim();
  if (!email) return bad('the address is empty');
  if (/\s/.test(email) && !email.startsWith('"')) return bad('the address contains a space');
  const at = email.lastIndexOf('@');
  if (at < 0) return bad('the address has no "@"');
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (!local) return bad('nothing before the "@"', local, domain);
  if (!domain) return bad('no domain after the "@"', local, domain);
  if (Buffer.byteLength(local) > 64) return bad('the part before the "@" is longer than 64 bytes (RFC 5321)', local, domain);
  if (Buffer.byteLength(email) > 254) return bad('the address is longer than 254 bytes (RFC 5321)', local, domain);
  if (!DOT_ATOM_LOCAL.test(local) && !QUOTED_LOCAL.test(local)) {
    if (local.includes('..')) return bad('two dots in a row before the "@"', local, domain);
    if (local.startsWith('.') || local.endsWith('.')) return bad('the part before the "@" starts or ends with a dot', local, domain);
    if (local.includes('@')) return bad('more than one "@"', local, domain);
    return bad('the part before the "@" contains a character that is not allowed (quote it, or remove ( ) , : ; < > [ ] \\ ")', local, domain);
  }
  if (/^\[.*\]$/.test(domain)) return { valid: true, error: null, local, domain };
  const labels = domain.split('.');
  if (labels.length < 2) return bad(`the domain "${domain}" has no dot (a top-level domain alone cannot receive mail)`, local, domain);
  for (const l of labels) {
    if (!l) return bad(`the domain "${domain}" has an empty part (two dots in a row, or a dot at an end)`, local, domain);
    if (!LABEL.test(l)) return bad(`the domain part "${l}" may hold only letters, digits and inner hyphens (at most 63)`, local, domain);
  }
  if (/^\d+$/.test(labels[labels.length - 1]!)) return bad(`the domain "${domain}" ends in a number; an IP address must be written in brackets, like [192.0.2.1]`, local, domain);
  return { valid: true, error: null, local, domain };
}

/** Mailbox providers people type most; a domain a small edit away from one of these is a likely typo. */
export const COMMON_DOMAINS = [
  'gmail.com', 'googlemail.com', 'yahoo.com', 'yahoo.co.uk', 'yahoo.fr', 'ymail.com', 'hotmail.com', 'hotmail.co.uk', 'hotmail.fr',
  'outlook.com', 'live.com', 'msn.com', 'icloud.com', 'me.com', 'mac.com', 'aol.com', 'protonmail.com', 'proton.me', 'gmx.de', 'gmx.net',
  'gmx.com', 'web.de', 't-online.de', 'mail.ru', 'yandex.ru', 'comcast.net', 'verizon.net', 'att.net', 'sbcglobal.net', 'orange.fr',
  'free.fr', 'wanadoo.fr', 'libero.it', 'qq.com', '163.com', 'fastmail.com', 'zoho.com', 'btinternet.com',
];

/** Misspelt top-level domains that are not real ones. */
const TLD_TYPOS: Record<string, string> = { con: 'com', cmo: 'com', ocm: 'com', vom: 'com', xom: 'com', comm: 'com', cpm: 'com', nte: 'net', ent: 'net', ogr: 'org', rog: 'org' };

/** Optimal string alignment distance: edits, plus swapping two neighbours ("gmial") counts as one. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** A corrected domain for a likely typo, or null when the domain looks intended. */
export function suggestDomain(domain: string, common: readonly string[] = COMMON_DOMAINS): string | null {
  const d = domain.toLowerCase();
  if (common.includes(d)) return null;
  let best: { domain: string; dist: number } | null = null;
  for (const c of common) {
    // Very short names (me.com, qq.com) are a single edit away from too many real domains.
    if (c.length < 7) continue;
    const dist = editDistance(d, c);
    // One edit for short names, two for longer ones: "gmal.com" yes, "gmx.at" for "gmx.net" no.
    const allowed = c.length <= 8 ? 1 : 2;
    if (dist <= allowed && (!best || dist < best.dist)) best = { domain: c, dist };
  }
  if (best) return best.domain;
  const dot = d.lastIndexOf('.');
  const tld = TLD_TYPOS[d.slice(dot + 1)];
  return tld ? `${d.slice(0, dot)}.${tld}` : null;
}

export async function lookupMx(resolver: MxResolver, domain: string): Promise<MxVerdict> {
  try {
    const records = await resolver.resolveMx(domain);
    if (records.length === 0) return { status: 'no-mx', hosts: [], detail: 'no MX record; mail goes to the domain\'s own address (A/AAAA), if it has one' };
    if (records.length === 1 && (records[0]!.exchange === '' || records[0]!.exchange === '.')) {
      return { status: 'null-mx', hosts: [], detail: 'the domain publishes a null MX (RFC 7505): it accepts no mail' };
    }
    const hosts = [...records].sort((a, b) => a.priority - b.priority).map((r) => r.exchange.replace(/\.$/, ''));
    return { status: 'ok', hosts, detail: null };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENODATA') return { status: 'no-mx', hosts: [], detail: 'no MX record; mail goes to the domain\'s own address (A/AAAA), if it has one' };
    if (code === 'ENOTFOUND') return { status: 'nxdomain', hosts: [], detail: `the domain ${domain} does not exist` };
    return { status: 'error', hosts: [], detail: `DNS lookup failed (${code ?? (err as Error).message}); try again later` };
  }
}

export async function checkAddress(email: string, resolver: MxResolver): Promise<AddressCheck> {
  const syntax = checkSyntax(email);
  const domain = syntax.domain;
  const fixed = domain && !domain.startsWith('[') ? suggestDomain(domain) : null;
  const suggestion = fixed && syntax.local !== null ? `${syntax.local}@${fixed}` : null;
  if (!syntax.valid || !domain) return { email, deliverable: false, syntax, mx: null, suggestion };
  if (domain.startsWith('[')) return { email, deliverable: true, syntax, mx: null, suggestion: null };
  const mx = await lookupMx(resolver, domain);
  return { email, deliverable: mx.status === 'ok' || mx.status === 'no-mx', syntax, mx, suggestion };
}
