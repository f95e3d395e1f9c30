import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789BCDFGHJKLMNPQRSTVWXYZ';
let counter = 0;

/**
 * Queue ids sort by creation time (like Postfix's long ids): 9 chars of time, a per-process
 * counter and random chars so ids never repeat across restarts.
 */
export function newQueueId(now = Date.now()): string {
  const time = now.toString(36).toUpperCase().padStart(9, '0');
  counter = (counter + 1) % (36 * 36 * 36);
  const rnd = randomBytes(4);
  let tail = '';
  for (const b of rnd) tail += ALPHABET[b % ALPHABET.length];
  return `${time}${counter.toString(36).toUpperCase().padStart(3, '0')}${tail}`;
}
