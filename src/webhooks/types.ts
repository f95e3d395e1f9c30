// The webhook payload and the per-endpoint state, shared by the dispatcher and the HTTP API.

export const WEBHOOK_EVENT_TYPES = [
  'delivered', 'deferred', 'bounced', 'expired', 'flagged', 'cleared', 'complaint', 'autoreply', 'reconciled',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** One POSTed event. `id` is the store event's id: receivers use it to drop duplicates (delivery is at least once). */
export interface WebhookEvent {
  id: string;
  type: WebhookEventType;
  /** When it happened (epoch ms). */
  time: number;
  queueId: string | null;
  messageId: string | null;
  rcpt: string | null;
  /** Type-specific details: the upstream reply, reason and category, the report, the log evidence. */
  data: Record<string, unknown>;
}

/** A configured endpoint (config key `webhooks`). */
export interface WebhookEndpointConfig {
  url: string;
  /** HMAC-SHA256 key for X-Rebound-Signature. */
  secret: string;
  /** Only these event types; absent or empty: all. */
  events?: WebhookEventType[] | undefined;
}

/** One endpoint's delivery state, as GET /api/webhooks shows it. */
export interface WebhookEndpointStatus {
  url: string;
  events: WebhookEventType[] | null;
  /** Events waiting to be delivered (including the one being tried). */
  pending: number;
  delivered: number;
  /** Events given up on after the last retry. */
  dropped: number;
  consecutiveFailures: number;
  lastSuccessAt: number | null;
  lastFailureAt: number | null;
  lastError: string | null;
  nextAttemptAt: number | null;
}
