// A tiny authoritative DNS server on loopback UDP, answering MX queries from a table.
// It stands in for the internet's DNS, which tests cannot reach.
import dgram from 'node:dgram';

export type Zone = Record<string, { mx?: Array<[number, string]>; nxdomain?: boolean; servfail?: boolean }>;

function encodeName(name: string): Buffer {
  const parts = name.replace(/\.$/, '').split('.').filter(Boolean);
  return Buffer.concat([...parts.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p)])), Buffer.from([0])]);
}

function readName(buf: Buffer, off: number): { name: string; end: number } {
  const labels: string[] = [];
  while (buf[off]! > 0) {
    const len = buf[off]!;
    labels.push(buf.subarray(off + 1, off + 1 + len).toString());
    off += len + 1;
  }
  return { name: labels.join('.').toLowerCase(), end: off + 1 };
}

export class DnsStub {
  private sock = dgram.createSocket('udp4');
  port = 0;
  queries: string[] = [];

  constructor(public zone: Zone) {}

  async start(): Promise<this> {
    this.sock.on('message', (msg, rinfo) => {
      const { name, end } = readName(msg, 12);
      const qtype = msg.readUInt16BE(end);
      this.queries.push(`${name}/${qtype}`);
      const question = msg.subarray(12, end + 4);
      const entry = this.zone[name];
      const header = Buffer.alloc(12);
      msg.copy(header, 0, 0, 2);
      let rcode = 0;
      const answers: Buffer[] = [];
      if (!entry || entry.nxdomain) rcode = 3;
      else if (entry.servfail) rcode = 2;
      else if (qtype === 15 && entry.mx) {
        for (const [pref, host] of entry.mx) {
          const exch = host === '' ? Buffer.from([0]) : encodeName(host);
          const rdata = Buffer.concat([Buffer.from([pref >> 8, pref & 255]), exch]);
          const rr = Buffer.alloc(12);
          rr.writeUInt16BE(0xc00c, 0);
          rr.writeUInt16BE(15, 2);
          rr.writeUInt16BE(1, 4);
          rr.writeUInt32BE(60, 6);
          rr.writeUInt16BE(rdata.length, 10);
          answers.push(Buffer.concat([rr, rdata]));
        }
      }
      header.writeUInt16BE(0x8180 | rcode, 2);
      header.writeUInt16BE(1, 4);
      header.writeUInt16BE(answers.length, 6);
      this.sock.send(Buffer.concat([header, question, ...answers]), rinfo.port, rinfo.address);
    });
    await new Promise<void>((r) => this.sock.bind(0, '127.0.0.1', () => r()));
    this.port = this.sock.address().port;
    return this;
  }

  get server(): string {
    return `127.0.0.1:${this.port}`;
  }

  stop(): void {
    this.sock.close();
  }
}
