import { createHmac, timingSafeEqual } from 'node:crypto';
import { addressKey } from '../util/address-key.js';

// VERP return path: b+<queueId>-<rcptIndex>-<sig>@<domain>. The signature is an HMAC over the
// queue id, index and recipient address, so a bounce can be tied to exactly one recipient and a
// forged or altered address is recognised.
const PREFIX = 'b+';
const RE = /^b\+([0-9A-Z]+)-(\d{1,5})-([0-9a-z]{16})$/;

function sign(secret: string, queueId: string, index: number, rcpt: string): string {
  return createHmac('sha256', secret).update(`${queueId}\0${index}\0${addressKey(rcpt)}`).digest('hex').slice(0, 16);
}

export function makeReturnPath(secret: string, domain: string, queueId: string, index: number, rcpt: string): string {
  return `${PREFIX}${queueId}-${index}-${sign(secret, queueId, index, rcpt)}@${domain}`;
}

export interface VerpToken {
  queueId: string;
  index: number;
  sig: string;
  domain: string;
}

/** Splits a VERP address; null when the address is not one of ours in shape. */
export function parseReturnPath(address: string): VerpToken | null {
  const at = address.lastIndexOf('@');
  if (at < 1) return null;
  const m = RE.exec(address.slice(0, at));
  if (!m) return null;
  return { queueId: m[1]!, index: Number(m[2]), sig: m[3]!, domain: address.slice(at + 1).toLowerCase() };
}

/** Checks a token's signature against the recipient the message really had at that index. */
export function verifyReturnPath(secret: string, token: VerpToken, rcpt: string): boolean {
  const expected = Buffer.from(sign(secret, token.queueId, token.index, rcpt));
  const got = Buffer.from(token.sig);
  return expected.length === got.length && timingSafeEqual(expected, got);
}
