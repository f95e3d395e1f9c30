// A webhook receiver on loopback: records every request, and can fail on purpose.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySignature } from '../../src/webhooks/index.js';
import type { WebhookEvent } from '../../src/webhooks/index.js';

export interface ReceivedHook {
  event: WebhookEvent;
  body: string;
  headers: http.IncomingHttpHeaders;
  status: number;
  signatureOk: boolean;
}

export class Receiver {
  readonly requests: ReceivedHook[] = [];
  /** Answer 500 to this many requests before accepting. */
  failFirst = 0;
  port = 0;
  private server: http.Server | null = null;

  constructor(private readonly secret: string) {}

  async start(port = 0): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const status = this.failFirst > 0 ? (this.failFirst--, 500) : 204;
        const ts = req.headers['x-rebound-timestamp'] as string | undefined;
        const sig = req.headers['x-rebound-signature'] as string | undefined;
        this.requests.push({ event: JSON.parse(body) as WebhookEvent, body, headers: req.headers, status, signatureOk: verifySignature(this.secret, ts, sig, body) });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => this.server!.listen(port, '127.0.0.1', () => r()));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks/rebound`;
  }

  /** Events accepted (2xx), in arrival order. */
  accepted(): WebhookEvent[] {
    return this.requests.filter((r) => r.status < 300).map((r) => r.event);
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s) await new Promise<void>((r) => { s.closeAllConnections(); s.close(() => r()); });
  }
}
