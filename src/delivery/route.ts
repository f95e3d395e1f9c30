import { Resolver } from 'node:dns/promises';
import type { Config } from '../config.js';

/** One place to connect to. */
export interface Destination {
  /** Pool key: connections are reused only for the same destination. */
  key: string;
  host: string;
  port: number;
  secure: boolean;
  starttls: 'opportunistic' | 'required' | 'off';
  rejectUnauthorized: boolean;
  auth: { user: string; pass: string } | null;
  /** Smarthost routes are integration (our config); MX routes are about the recipient's domain. */
  kind: 'smarthost' | 'mx';
}

/** A route: the destinations to try in order, or a permanent verdict when none can exist. */
export type Route =
  | { ok: true; destinations: Destination[] }
  | { ok: false; permanent: boolean; code: number; enhanced: string; text: string; integration: boolean };

export interface MxRecord {
  exchange: string;
  priority: number;
}

/** The DNS we need; injectable so tests can point it at a local stub. */
export interface MxResolver {
  resolveMx(domain: string): Promise<MxRecord[]>;
}

export function systemMxResolver(servers: string[]): MxResolver {
  const r = new Resolver({ timeout: 5_000, tries: 2 });
  if (servers.length) r.setServers(servers);
  return { resolveMx: (d) => r.resolveMx(d) };
}

export function smarthostRoute(c: Config['delivery']['smarthost']): Route {
  return {
    ok: true,
    destinations: [{
      key: `smarthost:${c.host}:${c.port}`, host: c.host, port: c.port, secure: c.secure, starttls: c.starttls,
      rejectUnauthorized: c.rejectUnauthorized, auth: c.auth, kind: 'smarthost',
    }],
  };
}

/**
 * MX routing (RFC 5321 section 5.1): MX hosts in preference order, the domain itself when it has
 * no MX, and a permanent failure for a null MX (RFC 7505) or a domain that does not exist.
 */
export async function mxRoute(resolver: MxResolver, domain: string, port: number): Promise<Route> {
  const dest = (host: string): Destination => ({
    key: `mx:${host.toLowerCase()}:${port}`, host, port, secure: false, starttls: 'opportunistic',
    rejectUnauthorized: false, auth: null, kind: 'mx',
  });
  let records: MxRecord[];
  try {
    records = await resolver.resolveMx(domain);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENODATA') return { ok: true, destinations: [dest(domain)] };
    if (code === 'ENOTFOUND') {
      return { ok: false, permanent: true, code: 550, enhanced: '5.1.2', text: `Domain ${domain} does not exist (DNS NXDOMAIN)`, integration: false };
    }
    return { ok: false, permanent: false, code: 451, enhanced: '4.4.3', text: `DNS lookup for ${domain} failed: ${code ?? (err as Error).message}`, integration: false };
  }
  if (records.length === 0) return { ok: true, destinations: [dest(domain)] };
  if (records.length === 1 && (records[0]!.exchange === '' || records[0]!.exchange === '.')) {
    return { ok: false, permanent: true, code: 556, enhanced: '5.1.10', text: `Domain ${domain} accepts no mail (null MX, RFC 7505)`, integration: false };
  }
  const sorted = [...records].filter((r) => r.exchange && r.exchange !== '.').sort((a, b) => a.priority - b.priority);
  return { ok: true, destinations: sorted.map((r) => dest(r.exchange.replace(/\.$/, ''))) };
}
