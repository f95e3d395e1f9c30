// Public face of webhooks/: signed, ordered, durable POSTs of delivery outcomes.
export { WebhookDispatcher, outboxFileName } from './dispatcher.js';
export type { WebhookDispatcherOptions } from './dispatcher.js';
export { DEFAULT_RETRY } from './endpoint.js';
export type { RetryPolicy } from './endpoint.js';
export { toWebhookEvent } from './events.js';
export { signPayload, verifySignature, SIGNATURE_HEADER, TIMESTAMP_HEADER } from './sign.js';
export { WEBHOOK_EVENT_TYPES } from './types.js';
export type { WebhookEvent, WebhookEventType, WebhookEndpointConfig, WebhookEndpointStatus } from './types.js';
