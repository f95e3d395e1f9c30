import type { MessageQueue, RetainedMessages } from '../spool/index.js';
import type { Store } from '../store/index.js';
import type { Envelope } from '../types.js';
import type { Clock } from '../util/clock.js';
import { newQueueId } from '../util/ids.js';
import type { Logger } from '../util/logger.js';
import { sameAddress } from '../util/address-key.js';

export interface ResendDeps {
  store: Store;
  spool: Pick<MessageQueue, 'has' | 'readRaw'>;
  retained: Pick<RetainedMessages, 'get'>;
  clock: Clock;
  logger: Logger;
  /** Queues a new message the way submission does (spool, delivery, listeners). */
  enqueue: (envelope: Envelope, raw: Buffer) => Promise<void>;
}

export interface Resender {
  /** Queues a message again for the given recipients; returns the new queue id. */
  resend(queueId: string, rcpts: string[]): Promise<string>;
  /** Resends every message to this address that did not get through. */
  resendTo(email: string): Promise<Array<{ from: string; queueId: string }>>;
}

/** Sending again what did not get through, after its cause was fixed (CLI, API and dashboard). */
export function createResender(d: ResendDeps): Resender {
  const resend = async (queueId: string, rcpts: string[]): Promise<string> => {
    const msg = await d.store.getMessage(queueId);
    if (!msg) throw new Error(`no message ${queueId}`);
    const raw = d.spool.has(queueId) ? await d.spool.readRaw(queueId) : await d.retained.get(queueId);
    if (!raw) throw new Error(`the content of ${queueId} is no longer kept; ask the sender to send it again`);
    const now = d.clock.now();
    const id = newQueueId(now);
    // Same message, new queue id: drop our old trace line and add the new one.
    const body = Buffer.concat([
      Buffer.from(`X-Rebound-Queue-Id: ${id}\r\nX-Rebound-Resent-From: ${queueId}\r\n`),
      Buffer.from(raw.toString('latin1').replace(/^X-Rebound-Queue-Id:[^\r\n]*\r\n/im, ''), 'latin1'),
    ]);
    const envelope: Envelope = {
      queueId: id, from: msg.from, rcpts, messageId: msg.messageId, receivedAt: now, size: body.length, user: msg.user,
      clientIp: msg.clientIp, smtpUtf8: false, bodyType: '8bitmime',
    };
    await d.enqueue(envelope, body);
    d.logger.info({ queueId: id, resentFrom: queueId, rcpts }, 'resent');
    return id;
  };
  return {
    resend,
    async resendTo(email) {
      const out: Array<{ from: string; queueId: string }> = [];
      // Read whole before resending (newest first): each resend adds a message to this address.
      const failed: Array<{ queueId: string; rcpt: string }> = [];
      for await (const m of d.store.scanMessages({ rcpt: email })) {
        const r = m.rcpts.find((x) => sameAddress(x.rcpt, email));
        if (r && (r.status === 'bounced' || r.status === 'expired')) failed.push({ queueId: m.queueId, rcpt: r.rcpt });
      }
      // The address as that message had it: that is what goes upstream again.
      for (const f of failed) out.push({ from: f.queueId, queueId: await resend(f.queueId, [f.rcpt]) });
      return out;
    },
  };
}
