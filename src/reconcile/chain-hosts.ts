// Which relays belong to our delivery chain. A message passed to one of them is a hand-off (the
// story goes on in that host's log); passed to any other host (the recipient domain's MX) it has
// left the chain, and the relay's 250 is a final delivery.
import ipaddr from 'ipaddr.js';

/** Address ranges that never face the internet: a relay there is one of ours. */
const INTERNAL_RANGES = new Set(['loopback', 'private', 'uniqueLocal', 'linkLocal', 'carrierGradeNat', 'unspecified']);

/** A host name without case or the root dot sendmail writes ("mx.example." -> "mx.example"). */
const hostName = (s: string): string => {
  const h = s.trim().toLowerCase();
  return h.endsWith('.') ? h.slice(0, -1) : h;
};

/** "host[1.2.3.4]:25" / "host. [1.2.3.4]" / "1.2.3.4" / "host" -> its name and IP, lower-cased. */
export function splitRelay(relay: string): { name: string; ip: string | null } {
  const open = relay.indexOf('[');
  if (open >= 0) {
    const close = relay.indexOf(']', open);
    const ip = relay.slice(open + 1, close < 0 ? relay.length : close);
    return { name: hostName(relay.slice(0, open)), ip: ipaddr.isValid(ip) ? ip : null };
  }
  const bare = relay.trim().toLowerCase();
  if (ipaddr.isValid(bare)) return { name: '', ip: bare };
  const colon = bare.lastIndexOf(':');
  const host = colon > 0 && /^\d+$/.test(bare.slice(colon + 1)) ? bare.slice(0, colon) : bare;
  return { name: host, ip: ipaddr.isValid(host) ? host : null };
}

export class ChainHosts {
  private readonly names = new Set<string>();
  private readonly cache = new Map<string, boolean>();
  private lastAdded = '';

  /** `relays`: the reconcile.relays setting (names or IPs of hosts that pass mail on for us). */
  constructor(relays: readonly string[] = []) {
    for (const r of relays) this.add(r);
  }

  /** A host whose own log is being reconciled is part of the chain. */
  add(host: string): void {
    // Called for every record: most records of a log name the same host.
    if (host === this.lastAdded) return;
    this.lastAdded = host;
    const h = hostName(host);
    if (!h || this.names.has(h)) return;
    this.names.add(h);
    this.cache.clear();
  }

  /** True when `relay` (as an MTA logs it) is a host of the chain. */
  has(relay: string): boolean {
    let known = this.cache.get(relay);
    if (known === undefined) {
      known = this.judge(relay);
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(relay, known);
    }
    return known;
  }

  private judge(relay: string): boolean {
    const { name, ip } = splitRelay(relay);
    if (ip !== null) {
      const addr = ipaddr.process(ip);
      if (INTERNAL_RANGES.has(addr.range())) return true;
      if (this.names.has(addr.toString())) return true;
    }
    // Names compare exactly: a short log host name ("mail") must not pull in every "mail.*" MX.
    return name === 'localhost' || (name !== '' && this.names.has(name));
  }
}
