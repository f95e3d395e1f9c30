import pg from 'pg';
import type { Logger } from '../../util/logger.js';

const BACKOFF_MS = [100, 250, 500, 1_000, 2_000];

/**
 * One dedicated connection that LISTENs on a channel and hands every notification's payload to
 * `onPayload`, in the order the server sent them. When the connection drops (the server restarts,
 * a network cut) it reconnects with backoff and LISTENs again; `onReconnect` runs after each
 * reconnection so the owner can catch up on what it missed while away.
 */
export class NotificationListener {
  /** The client connecting or connected now; events of an older one are ignored. */
  private current: pg.Client | null = null;
  private client: pg.Client | null = null;
  private stopped = false;
  private failures = 0;
  private timer: NodeJS.Timeout | null = null;
  private starting: Promise<void> | null = null;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly channel: string,
    private readonly onPayload: (payload: string) => void,
    private readonly onReconnect: () => void,
    private readonly logger: Logger,
  ) {}

  /** Resolves once LISTEN is in place (or the first try failed: it keeps trying in the background). */
  start(): Promise<void> {
    this.starting ??= this.connect(false);
    return this.starting;
  }

  get listening(): boolean {
    return this.client !== null;
  }

  private async connect(again: boolean): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client(this.config);
    this.current = client;
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    client.on('notification', (n) => {
      if (n.channel === this.channel && n.payload !== undefined) this.onPayload(n.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel}`);
    } catch (err) {
      this.lost(client, err as Error);
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    this.failures = 0;
    if (again) this.onReconnect();
  }

  private lost(client: pg.Client, err: Error): void {
    if (client !== this.current) return; // an old client's late event
    const wasListening = this.client === client;
    this.current = null;
    this.client = null;
    client.removeAllListeners('notification');
    client.end().catch(() => {});
    if (this.stopped || this.timer) return;
    if (wasListening || this.failures === 0) this.logger.warn({ err: err.message }, 'store: notification connection lost, reconnecting');
    const delay = BACKOFF_MS[Math.min(this.failures++, BACKOFF_MS.length - 1)]!;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.connect(true);
    }, delay);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const c = this.current;
    this.current = null;
    this.client = null;
    if (c) {
      c.removeAllListeners('end');
      c.removeAllListeners('error');
      c.on('error', () => {});
      await c.end().catch(() => {});
    }
  }
}
