import type { Reason } from '../types.js';
import type { ProviderRule } from './rule.js';

/**
 * Gmail / Google Workspace replies, from Google's SMTP error reference: sentences that name their
 * cause more precisely than the 5.7.1 or 4.7.0 they come with.
 */
const SENTENCES: ReadonlyArray<[string, Reason]> = [
  ['unusual rate of unsolicited mail originating from your ip address', 'blocked'],
  ['ip not in whitelist for rcpt domain', 'blocked'],
  ['not authorized to send email directly to our servers', 'blocked'],
  ['this message is likely unsolicited mail', 'spamdetected'],
  ['very low reputation of the sending', 'badreputation'],
  ['mail message is malformed', 'contenterror'],
  ['has a policy that prohibited', 'policyviolation'],
  ['illegal attachment on your message', 'policyviolation'],
  ['content presents a potential security issue', 'policyviolation'],
  ['message exceeded 50 hops', 'networkerror'],
  ['timeout - closing connection', 'expired'],
  ['mail sending denied', 'rejected'],
];

export const google: ProviderRule = {
  name: 'Google',
  reason(text) {
    return SENTENCES.find(([s]) => text.includes(s))?.[1];
  },
};
