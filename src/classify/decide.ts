import { says } from './reason/index.js';
import { providerReason } from './rhost/index.js';
import { statusName } from './status-codes.js';
import type { Reason } from './types.js';

/** What the decision reads: the status, the reply code, the stage, and the normalised words. */
export interface Evidence {
  /** Enhanced status ("5.1.1"), or "". */
  status: string;
  code: number | undefined;
  /** SMTP command the reply answered, upper-case (CONN, EHLO, HELO, MAIL, RCPT, DATA), or "". */
  command: string;
  /** Lower-cased, whitespace-collapsed text. */
  text: string;
}

/** Stages before any recipient is named: nothing said there is about a mailbox. */
const BEFORE_RCPT = new Set(['CONN', 'EHLO', 'HELO']);
/** Stages at which a refusal cannot be a verdict on the message's content. */
const BEFORE_DATA = new Set(['CONN', 'EHLO', 'HELO', 'MAIL', 'RCPT']);

/** Causes whose words outrank an address-level status: the address is not what was refused. */
const NOT_THE_ADDRESS: readonly Reason[] = [
  'norelaying', 'blocked', 'mailboxfull', 'hasmoved', 'rejected', 'notaccept', 'speeding', 'toomanyconn', 'badreputation',
];

/**
 * First pass: causes that the status code and the words name together, most specific first.
 * Each probe weighs the stage: "user unknown" is a missing mailbox only when the status says
 * x.1.x or the refusal came at RCPT; after DATA the same words are a filter's verdict.
 */
const FIRST: ReadonlyArray<[Reason, (e: Evidence, name: Reason | '') => boolean]> = [
  // Greylisting refuses every first attempt on purpose; a failure reported under it is the
  // sender's queue giving up, whatever 4.7.1 says.
  ['expired', (e) => /gr[ae]y-?list/.test(e.text)],
  ['mailboxfull', (e, n) => n === 'mailboxfull' || says('mailboxfull', e.text)],
  ['mesgtoobig', (e, n) => n === 'mesgtoobig' || (n !== 'exceedlimit' && says('mesgtoobig', e.text))],
  ['exceedlimit', (e, n) => n === 'exceedlimit' || says('exceedlimit', e.text)],
  ['suspend', (e, n) => n === 'suspend' || says('suspend', e.text)],
  ['hasmoved', (e, n) => n === 'hasmoved' || says('hasmoved', e.text)],
  ['norelaying', (e) => !BEFORE_RCPT.has(e.command) && says('norelaying', e.text)],
  ['authfailure', (e, n) => n === 'authfailure' || says('authfailure', e.text)],
  ['userunknown', (e, n) => {
    if (n === 'userunknown') {
      // x.1.1 with words of another cause (relaying, a block, a full box, the sender) is that cause.
      return !NOT_THE_ADDRESS.some((r) => says(r, e.text));
    }
    // Exim's "Unrouteable address" answering RCPT is its recipient verification: no such user there.
    return e.command === 'RCPT' && (says('userunknown', e.text) || e.text.includes('unrouteable address'));
  }],
  ['filtered', (e, n) => {
    if (n === 'filtered') return says('userunknown', e.text) || says('filtered', e.text);
    if (BEFORE_DATA.has(e.command)) return false;
    return says('filtered', e.text) || says('userunknown', e.text);
  }],
  ['requireptr', (e, n) => n === 'requireptr' || says('requireptr', e.text)],
  ['notcompliantrfc', (e) => says('notcompliantrfc', e.text)],
  ['badreputation', (e) => says('badreputation', e.text)],
  ['contenterror', (e, n) => n === 'contenterror' && says('contenterror', e.text)],
  ['rejected', (e, n) => {
    if (n === 'rejected') return true;
    if (e.command === 'MAIL') return says('rejected', e.text);
    if (e.command === 'DATA') return n !== 'userunknown' && says('rejected', e.text);
    return (n === '' || n === 'onhold' || n === 'undefined' || n === 'securityerror' || n === 'systemerror') && says('rejected', e.text);
  }],
  ['hostunknown', (e, n) => (n === 'hostunknown' ? !says('networkerror', e.text) : says('hostunknown', e.text))],
  ['spamdetected', (e, n) => n === 'spamdetected' || (!BEFORE_DATA.has(e.command) && says('spamdetected', e.text))],
  ['speeding', (e) => says('speeding', e.text)],
  ['toomanyconn', (e, n) => n === 'toomanyconn' || says('toomanyconn', e.text)],
  ['blocked', (e, n) => n === 'blocked' || says('blocked', e.text)],
];

/** Reasons a status may name that the words should still be asked about. */
const VAGUE = new Set<Reason | ''>(['', 'undefined', 'onhold', 'systemerror', 'securityerror', 'expired', 'networkerror', 'hostunknown', 'userunknown']);

/** Second pass, when the first found nothing: words of broader causes, in this order. */
const SECOND: readonly Reason[] = [
  'mailboxfull', 'authfailure', 'badreputation', 'speeding', 'spamdetected', 'virusdetected', 'policyviolation',
  'norelaying', 'systemerror', 'networkerror', 'suspend', 'contenterror', 'systemfull', 'notaccept', 'expired',
  'failedstarttls', 'securityerror', 'mailererror',
];

/** The reason for one failure, from the status, the stage and the words (RFC 3463 as fallback). */
export function decideReason(e: Evidence): Reason {
  if (e.status.startsWith('2.') || (e.code !== undefined && e.code < 300)) return 'delivered';
  const name = statusName(e.status);
  if (name === 'delivered') return 'delivered';
  const provider = providerReason(e.text, e.status);
  if (provider) return provider;
  for (const [reason, probe] of FIRST) if (probe(e, name)) return reason;

  if (!VAGUE.has(name)) return name as Reason;
  for (const reason of SECOND) if (says(reason, e.text)) return reason;
  // At MAIL FROM only the sender and the client are known: a refusal there that names nothing
  // more precise is about the sender.
  if (e.command === 'MAIL') return 'rejected';
  if (name === 'userunknown' || name === 'hostunknown') {
    // A status that alone would flag the address, under words naming another cause: that cause.
    const other = NOT_THE_ADDRESS.find((r) => says(r, e.text));
    if (other) return other;
  }
  if (name) return name;
  const subject = e.status.slice(0, 3);
  if (subject === '5.6' || subject === '4.6') return 'contenterror';
  if (subject === '5.7' || subject === '4.7') return 'securityerror';
  // RFC 5321 40x / 50x replies: the command itself was not understood.
  if (e.code !== undefined && (e.code % 100) <= 7 && Math.floor(e.code / 10) % 10 === 0 || says('syntaxerror', e.text)) return 'syntaxerror';
  if (e.command === 'EHLO' || e.command === 'HELO' || e.command === 'CONN') return 'blocked';
  if (says('vacation', e.text)) return 'vacation';
  return e.text || e.status || e.code ? 'onhold' : 'undefined';
}
