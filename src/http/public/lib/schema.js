// Value lists (statuses, reasons, categories, log formats) read from the API's own OpenAPI
// document, so the filters never drift from what the server accepts.
import { get } from './api.js';

let cached = null;

const FALLBACK = {
  status: ['queued', 'done', 'delivered', 'bounced', 'deferred', 'expired'],
  reason: [],
  category: ['Invalid Email', 'Mailbox Error', 'Autoresponder', 'Blocked', 'Spam', 'Not Delivered'],
  format: [],
};

function enumOf(doc, path, method, param) {
  const op = doc?.paths?.[path]?.[method];
  const p = op?.parameters?.find((x) => x.name === param && x.in === 'query');
  return Array.isArray(p?.schema?.enum) ? p.schema.enum.filter((v) => typeof v === 'string') : null;
}

/** { status, reason, category, format } arrays; falls back to built-in lists if the document is unreadable. */
export async function enums() {
  cached ??= get('openapi.json')
    .then((doc) => ({
      status: enumOf(doc, '/api/messages', 'get', 'status') ?? FALLBACK.status,
      reason: enumOf(doc, '/api/messages', 'get', 'reason') ?? FALLBACK.reason,
      category: enumOf(doc, '/api/messages', 'get', 'category') ?? FALLBACK.category,
      format: enumOf(doc, '/api/reconcile', 'post', 'format') ?? FALLBACK.format,
    }))
    .catch(() => {
      cached = null;
      return FALLBACK;
    });
  return cached;
}
