import { isBounceReport } from '../recipients/index.js';
import type { RecipientEvent } from '../types.js';
import type { WebhookEvent } from './types.js';

/**
 * The webhook a store event becomes, or null for events receivers are not told about
 * (integration errors, suppression changes, unmatched reports, delay notices).
 */
export function toWebhookEvent(e: RecipientEvent, messageIdOf: (queueId: string) => string | null = () => null): WebhookEvent | null {
  const base = (type: WebhookEvent['type'], queueId: string | null, rcpt: string | null, data: Record<string, unknown>, messageId?: string | null): WebhookEvent => ({
    id: e.id, type, time: e.time, queueId, messageId: messageId ?? (queueId ? messageIdOf(queueId) : null), rcpt, data,
  });
  switch (e.type) {
    case 'attempt': {
      const data = {
        attempt: e.attempt, stage: e.stage, code: e.code, enhanced: e.enhanced, response: e.response, mx: e.mx, ip: e.ip, tls: e.tls,
        ...(e.reason ? { reason: e.reason, category: e.category ?? null, hard: e.hard ?? false } : {}),
        ...(e.integration ? { integration: e.integration } : {}),
      };
      return base(e.status, e.queueId, e.rcpt, data, e.messageId);
    }
    case 'flag':
    case 'clear':
      return base(e.type === 'flag' ? 'flagged' : 'cleared', e.queueId, e.rcpt, { reason: e.reason, by: e.by });
    case 'report': {
      if (!e.verified) return null;
      const data = {
        kind: e.kind, status: e.status, replycode: e.replycode, reason: e.reason, category: e.category, hard: e.hard, diagnostic: e.diagnostic,
        reportId: e.reportId, ...(e.feedbacktype ? { feedbacktype: e.feedbacktype } : {}), ...(e.remoteMta ? { remoteMta: e.remoteMta } : {}),
      };
      if (e.reason === 'feedback' || e.kind === 'arf') return base('complaint', e.queueId, e.rcpt, data);
      if (e.reason === 'vacation' || e.kind === 'autoreply') return base('autoreply', e.queueId, e.rcpt, data);
      if (isBounceReport(e)) return base('bounced', e.queueId, e.rcpt, { ...data, via: 'report' });
      return null;
    }
    case 'reconcile':
      return base('reconciled', e.queueId, e.rcpt, { verdict: e.verdict, upstreamHost: e.upstreamHost, evidence: e.evidence }, e.messageId);
    default:
      return null;
  }
}
