import type { Reason } from '../types.js';
import type { ProviderRule } from './rule.js';

/**
 * Orange (Wanadoo) and La Poste end each refusal with a reference such as "OFR006_102",
 * "LPN007_426" or "OFR_416"; its last three digits are the documented cause.
 */
const CODES: Record<string, Reason> = {
  '101': 'blocked', '102': 'blocked', '103': 'blocked', // source IP listed / blocked for spam / service refused
  '104': 'toomanyconn', // too many connections, slow down
  '305': 'securityerror', '402': 'securityerror', // authentication code invalid / required
  '401': 'blocked', // SPF: the IP may not send for the domain
  '403': 'rejected', '405': 'rejected', '415': 'rejected', '421': 'rejected', // invalid sender
  '416': 'userunknown', '418': 'userunknown', // invalid recipient
  '417': 'mailboxfull', // recipient's box full
  '420': 'suspend', '426': 'suspend', // box archived / account blocked
  '505': 'systemerror', '506': 'spamdetected', '510': 'blocked', '514': 'mesgtoobig',
  '517': 'policyviolation', // DMARC verification failed
  '630': 'policyviolation', '999': 'blocked',
};

export const orange: ProviderRule = {
  name: 'Orange / La Poste',
  reason(text) {
    const m = /\b(?:lpnaaa|lpn|ofr|ouk)(?:_\d{3}|\d{3}[-_]\d{3})\b/.exec(text);
    return m ? CODES[m[0].slice(-3)] : undefined;
  },
};
