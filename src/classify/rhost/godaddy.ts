import type { Reason } from '../types.js';
import type { ProviderRule } from './rule.js';

/**
 * GoDaddy's mail servers (secureserver.net) end refusals with an "IBnnn" reference that its help
 * pages explain: IP reputation and block lists, session and hourly limits, the From address,
 * SPF, spam content, viruses.
 */
const CODES: Record<string, Reason> = {
  ib007: 'toomanyconn', ib101: 'expired', ib103: 'blocked', ib104: 'blocked', ib105: 'blocked', ib106: 'blocked',
  ib108: 'blocked', ib110: 'blocked', ib111: 'blocked', ib112: 'blocked', ib113: 'blocked', ib212: 'spamdetected',
  ib401: 'securityerror', ib501: 'rejected', ib502: 'rejected', ib504: 'toomanyconn', ib506: 'rejected',
  ib508: 'rejected', ib510: 'toomanyconn', ib607: 'toomanyconn', ib705: 'virusdetected',
};

export const godaddy: ProviderRule = {
  name: 'GoDaddy',
  reason(text) {
    const code = /\b(ib\d{3})\b/.exec(text)?.[1];
    return code ? CODES[code] : undefined;
  },
};
