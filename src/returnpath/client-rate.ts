import ipaddr from 'ipaddr.js';
import type { Clock } from '../util/clock.js';

/** The budget's key: the address, or for IPv6 its /64 (one host usually holds a whole /64). */
function clientKey(address: string): string {
  if (!ipaddr.isValid(address)) return address;
  let ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) ip = (ip as ipaddr.IPv6).toIPv4Address();
  if (ip.kind() === 'ipv4') return ip.toString();
  return `${(ip as ipaddr.IPv6).parts.slice(0, 4).map((p) => p.toString(16)).join(':')}::/64`;
}

/**
 * Bytes of reports received per client address (IPv6: per /64) in a sliding window, so one client cannot fill
 * the archive (three 9 MB reports in under a second). A client over its budget gets a temporary
 * error and sends again later, as MTAs do.
 */
export class ClientByteRate {
  private readonly taken = new Map<string, Array<{ at: number; bytes: number }>>();

  constructor(private readonly maxBytes: number, private readonly windowMs: number, private readonly clock: Clock) {}

  private recent(address: string): Array<{ at: number; bytes: number }> {
    const client = clientKey(address);
    const cutoff = this.clock.now() - this.windowMs;
    const list = (this.taken.get(client) ?? []).filter((x) => x.at > cutoff);
    if (list.length) this.taken.set(client, list);
    else this.taken.delete(client);
    return list;
  }

  used(client: string): number {
    return this.recent(client).reduce((n, x) => n + x.bytes, 0);
  }

  /** Whether `bytes` more from this client stay within its budget. */
  allows(client: string, bytes: number): boolean {
    return this.used(client) + bytes <= this.maxBytes;
  }

  record(client: string, bytes: number): void {
    const list = this.recent(client);
    list.push({ at: this.clock.now(), bytes });
    this.taken.set(clientKey(client), list);
    if (this.taken.size > 100_000) this.taken.delete(this.taken.keys().next().value as string);
  }
}
