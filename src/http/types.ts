// What the HTTP layer needs from the rest of Rebound: narrow interfaces, so tests can pass fakes
// and the HTTP code never reaches into another stage's internals.
import type { RecipientActions } from '../control/actions.js';
import type { MxResolver } from '../delivery/route.js';
import type { Finding } from '../diagnose/index.js';
import type { LogFormat } from '../reconcile/index.js';
import type { Store } from '../store/index.js';
import type { Envelope } from '../types.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { WebhookEndpointStatus } from '../webhooks/types.js';

/** Re-submits a finished message to some of its recipients; resolves to the new queue id. */
export interface Resender {
  resend(queueId: string, rcpts: string[]): Promise<string>;
}

/** What the API shows of the live queue (DeliveryEngine satisfies it). */
export interface QueueView {
  queued(): Promise<Array<{ envelope: Envelope; nextAttemptAt: number; running: boolean }>>;
}

/** Runs reconciliation of uploaded delivery logs; resolves to the result shown to the caller. */
export type ReconcileRunner = (files: string[], opts: { format?: LogFormat; dryRun?: boolean; since?: Date; utcOffsetMinutes?: number }) => Promise<unknown>;

export type Diagnoser = (opts: { now: number; windowMs: number }) => Promise<Finding[]>;

/** The HTTP part of the configuration (the `http` key). */
export interface HttpConfig {
  host: string;
  port: number;
  /** Bearer token hashes: `sha256$...` from `rebound new-token`, or `scrypt$...` from `rebound hash-password`. */
  tokens: string[];
  /** Wrong tokens a client may send per window before it gets 429 (default 10 per 60 s). */
  maxTokenFailures?: number;
  tokenFailureWindowMs?: number;
  /** How long a blocked client waits for its 429 (default 1 s). */
  blockedDelayMs?: number;
  /** Serve /metrics without a token (for a scraper on a trusted network). Default false. */
  metricsPublic?: boolean;
  /** Largest accepted upload for POST /api/reconcile, in bytes. Default 256 MiB. */
  maxUploadBytes?: number;
}

/** Named checks for /readyz; each true when that part is up, else false or the cause (a sentence). */
export type Readiness = () => Record<string, boolean | string>;

export interface HttpDeps {
  config: HttpConfig;
  store: Store;
  actions: RecipientActions;
  delivery: QueueView;
  logger: Logger;
  clock: Clock;
  /** Absent: POST /api/recipients/{email}/resend answers 501. */
  resender?: Resender;
  /** DNS for /api/check-address; default the system resolver. */
  resolver?: MxResolver;
  /** Absent: GET /api/diagnose answers 501. */
  diagnose?: Diagnoser;
  /** Absent: POST /api/reconcile answers 501. */
  reconcile?: ReconcileRunner;
  /** Prometheus text for /metrics; absent: /metrics answers 404. */
  metrics?: { contentType: string; render(): Promise<string> };
  /** Webhook endpoints' delivery state for GET /api/webhooks; absent: an empty list. */
  webhooks?: { status(): WebhookEndpointStatus[] };
  readiness?: Readiness;
  /** SSE heartbeat interval (default 15 s). */
  heartbeatMs?: number;
  /** A token accepted for the life of this process only (the start-up sign-in link); never stored. */
  signInToken?: string;
  /** Folder of the dashboard's static files (default src/http/public, dist/http/public after the build). */
  publicDir?: string;
}
