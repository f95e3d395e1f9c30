import type { Reason } from './types.js';

/**
 * RFC 3463 enhanced status codes (subject.detail, class stripped) to reasons. "strong" codes name
 * the cause precisely and win over phrases; the rest are defaults that the text may override
 * (a 5.1.1 whose text says "rate limit" is speeding).
 */
const ENHANCED: Record<string, { reason: Reason; strong?: true }> = {
  '1.0': { reason: 'userunknown' },
  '1.1': { reason: 'userunknown' },
  '1.2': { reason: 'hostunknown' },
  '1.3': { reason: 'userunknown' },
  '1.4': { reason: 'userunknown' },
  '1.5': { reason: 'userunknown' },
  '1.6': { reason: 'hasmoved', strong: true },
  '1.7': { reason: 'rejected' },
  '1.8': { reason: 'rejected' },
  '1.9': { reason: 'systemerror' },
  '1.10': { reason: 'notaccept' },
  '2.0': { reason: 'filtered' },
  '2.1': { reason: 'suspend' },
  '2.2': { reason: 'mailboxfull', strong: true },
  '2.3': { reason: 'exceedlimit', strong: true },
  '2.4': { reason: 'systemerror' },
  '3.0': { reason: 'systemerror' },
  '3.1': { reason: 'systemfull' },
  '3.2': { reason: 'systemerror' },
  '3.3': { reason: 'systemerror' },
  '3.4': { reason: 'mesgtoobig', strong: true },
  '3.5': { reason: 'systemerror' },
  '4.0': { reason: 'networkerror' },
  '4.1': { reason: 'networkerror' },
  '4.2': { reason: 'networkerror' },
  '4.3': { reason: 'systemerror' },
  '4.4': { reason: 'hostunknown' },
  '4.5': { reason: 'networkerror' },
  '4.6': { reason: 'networkerror' },
  '4.7': { reason: 'expired' },
  '5.0': { reason: 'syntaxerror' },
  '5.1': { reason: 'syntaxerror' },
  '5.2': { reason: 'syntaxerror' },
  '5.3': { reason: 'exceedlimit' },
  '5.4': { reason: 'syntaxerror' },
  '5.5': { reason: 'syntaxerror' },
  '5.6': { reason: 'syntaxerror' },
  '6.0': { reason: 'contenterror' },
  '6.1': { reason: 'contenterror' },
  '6.2': { reason: 'contenterror' },
  '6.3': { reason: 'contenterror' },
  '6.4': { reason: 'contenterror' },
  '6.5': { reason: 'contenterror' },
  '6.6': { reason: 'contenterror' },
  '6.7': { reason: 'contenterror' },
  '7.0': { reason: 'securityerror' },
  '7.1': { reason: 'securityerror' },
  '7.2': { reason: 'systemerror' },
  '7.3': { reason: 'securityerror' },
  '7.4': { reason: 'securityerror' },
  '7.5': { reason: 'securityerror' },
  '7.6': { reason: 'securityerror' },
  '7.7': { reason: 'securityerror' },
  '7.8': { reason: 'securityerror' },
  '7.9': { reason: 'securityerror' },
  '7.10': { reason: 'failedstarttls' },
  '7.11': { reason: 'failedstarttls' },
  '7.13': { reason: 'suspend' },
  '7.14': { reason: 'securityerror' },
  '7.15': { reason: 'securityerror' },
  '7.16': { reason: 'mesgtoobig' },
  '7.17': { reason: 'suspend' },
  '7.18': { reason: 'suspend' },
  '7.19': { reason: 'securityerror' },
  '7.20': { reason: 'authfailure', strong: true },
  '7.21': { reason: 'authfailure', strong: true },
  '7.22': { reason: 'authfailure', strong: true },
  '7.23': { reason: 'authfailure', strong: true },
  '7.24': { reason: 'authfailure', strong: true },
  '7.25': { reason: 'requireptr', strong: true },
  '7.26': { reason: 'authfailure', strong: true },
  '7.27': { reason: 'notaccept', strong: true },
  '7.28': { reason: 'spamdetected' },
  '7.29': { reason: 'authfailure' },
  '7.30': { reason: 'authfailure' },
};

/**
 * Sisimai's pseudo status codes (x.0.9NN): what a status looks like when the bounce carried none,
 * and what some parsers write. Mapping both ways keeps our output comparable with Sisimai's.
 */
const PSEUDO: Partial<Record<Reason, string>> = {
  undefined: '900', onhold: '901', norelaying: '909', filtered: '910', userunknown: '911', hostunknown: '912',
  hasmoved: '916', rejected: '918', suspend: '921', mailboxfull: '922', exceedlimit: '923', virusdetected: '925',
  systemerror: '930', systemfull: '931', notaccept: '932', mesgtoobig: '934', mailererror: '939',
  networkerror: '944', toomanyconn: '945', expired: '947', securityerror: '970', blocked: '971',
  requireptr: '973', contenterror: '960', spamdetected: '980', policyviolation: '972', authfailure: '976',
  badreputation: '975', speeding: '946', syntaxerror: '902', notcompliantrfc: '974', failedstarttls: '978',
};
const PSEUDO_REVERSE: Record<string, Reason> = Object.fromEntries(
  Object.entries(PSEUDO).map(([reason, n]) => [n, reason as Reason]),
);

export interface StatusReason {
  reason: Reason;
  /** True when the code alone is trusted over the text. */
  strong: boolean;
}

/** Reason named by an enhanced status code, if the code says anything specific. */
export function reasonFromEnhanced(enhanced: string | undefined): StatusReason | undefined {
  if (!enhanced) return undefined;
  const m = /^([245])\.(\d{1,3})\.(\d{1,3})$/.exec(enhanced);
  if (!m) return undefined;
  if (m[1] === '2') return { reason: 'delivered', strong: true };
  if (m[2] === '0') {
    const pseudo = PSEUDO_REVERSE[m[3]!];
    // A pseudo code is someone's earlier verdict; x.0.0 says nothing.
    return pseudo ? { reason: pseudo, strong: false } : undefined;
  }
  const hit = ENHANCED[`${m[2]}.${m[3]}`];
  return hit ? { reason: hit.reason, strong: hit.strong === true } : undefined;
}

/** Fallback from a basic reply code when neither the enhanced code nor the text says more. */
export function reasonFromBasicCode(code: number | undefined): Reason | undefined {
  switch (code) {
    case 421: return 'systemerror';
    case 450: case 550: case 553: return undefined;
    case 451: case 554: return undefined;
    case 452: return 'mailboxfull';
    case 552: return 'mailboxfull';
    case 501: case 500: case 502: case 503: case 504: return 'syntaxerror';
    case 551: return 'hasmoved';
    case 530: case 535: case 538: return 'securityerror';
    default: return undefined;
  }
}

/** "5.0.911"-style status for a reason when the bounce carried no enhanced code. */
export function pseudoStatus(reason: Reason, permanent: boolean): string {
  if (reason === 'delivered') return '2.1.5';
  if (reason === 'vacation' || reason === 'feedback') return '';
  return `${permanent ? 5 : 4}.0.${PSEUDO[reason] ?? '900'}`;
}
