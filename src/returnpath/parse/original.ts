import { addressOf, headerMap, parseHeaderBlock } from './headers.js';
import type { LoadedMessage } from './message.js';
import type { OriginalMessage } from './types.js';

const KEEP = ['message-id', 'x-rebound-queue-id', 'from', 'to', 'subject', 'date', 'return-path'];

/** Header block of the returned original: the rfc822 part, or the headers quoted in the text. */
function originalHeaderBlock(msg: LoadedMessage): string {
  const part = msg.attachments.find((a) => /message\/rfc822|rfc822-headers|message\/global/.test(a.contentType));
  if (part) return part.text;
  const text = msg.text;
  const m = /^(?:return-path|received|message-id|x-rebound-queue-id|from|to|subject|date):[ \t]/im.exec(text.slice(0, 128 * 1024));
  if (!m) return '';
  // Quoted copies are sometimes indented; undo a uniform indent.
  return text.slice(m.index, m.index + 32 * 1024);
}

/** Identity of the bounced message (Message-ID, our queue id, From/To/Subject). */
export function readOriginal(msg: LoadedMessage): OriginalMessage {
  const pairs = parseHeaderBlock(originalHeaderBlock(msg));
  const all = headerMap(pairs);
  const headers: Record<string, string> = {};
  for (const k of KEEP) if (all[k] !== undefined) headers[k] = all[k].slice(0, 998);
  const out: OriginalMessage = {};
  if (all['message-id']) out.messageId = all['message-id'].replace(/^<|>$/g, '').trim();
  const queueId = all['x-rebound-queue-id'] ?? /^x-rebound-queue-id:[ \t]*(\S{1,200})/im.exec(msg.text.slice(0, 65536))?.[1];
  if (queueId) out.queueId = queueId.trim();
  if (all['from']) out.from = addressOf(all['from']) || all['from'];
  if (all['to']) out.to = addressOf(all['to']) || all['to'];
  if (all['subject']) out.subject = all['subject'];
  if (Object.keys(headers).length) out.headers = headers;
  return out;
}
