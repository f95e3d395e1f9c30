import type { ReasonRule } from './rule.js';
import { authfailure } from './why-authfailure.js';
import { badreputation } from './why-badreputation.js';
import { blocked, blockedcode } from './why-blocked.js';
import { contenterror } from './why-contenterror.js';
import { exceedlimit } from './why-exceedlimit.js';
import { expired } from './why-expired.js';
import { failedstarttls } from './why-failedstarttls.js';
import { filtered } from './why-filtered.js';
import { hasmoved } from './why-hasmoved.js';
import { hostunknown } from './why-hostunknown.js';
import { mailboxfull } from './why-mailboxfull.js';
import { mailererror } from './why-mailererror.js';
import { mesgtoobig } from './why-mesgtoobig.js';
import { networkerror } from './why-networkerror.js';
import { norelaying } from './why-norelaying.js';
import { notaccept } from './why-notaccept.js';
import { notcompliantrfc } from './why-notcompliantrfc.js';
import { policyviolation } from './why-policyviolation.js';
import { rejected } from './why-rejected.js';
import { requireptr } from './why-requireptr.js';
import { securityerror } from './why-securityerror.js';
import { spamcontent, spamdetected } from './why-spamdetected.js';
import { speeding } from './why-speeding.js';
import { suspend } from './why-suspend.js';
import { syntaxerror } from './why-syntaxerror.js';
import { systemerror } from './why-systemerror.js';
import { systemfull } from './why-systemfull.js';
import { toomanyconn } from './why-toomanyconn.js';
import { userunknown } from './why-userunknown.js';
import { virusdetected } from './why-virusdetected.js';
import { vacation } from './why-vacation.js';

export type { ReasonRule } from './rule.js';
export { defineRule, normaliseText } from './rule.js';

/**
 * Probe order: the most specific evidence first. Sender-side causes (authentication, reputation,
 * rate) come before address causes, so "5.1.1 ... rate limit" is speeding, not userunknown;
 * blocklists come before the broad "spam" word so "blocked using spamhaus" stays blocked.
 */
export const RULES: readonly ReasonRule[] = [
  blockedcode, authfailure, virusdetected, spamcontent, requireptr, badreputation, toomanyconn, speeding,
  mailboxfull, mesgtoobig, exceedlimit, hasmoved, notaccept, suspend, rejected, userunknown, hostunknown,
  norelaying, policyviolation, blocked, spamdetected, filtered, failedstarttls, securityerror,
  notcompliantrfc, contenterror, syntaxerror, systemfull, systemerror, expired, networkerror, mailererror,
];

/** First reason whose phrases occur in the (already normalised) text. */
export function reasonFromText(normalised: string): ReasonRule['reason'] | undefined {
  if (!normalised) return undefined;
  for (const rule of RULES) if (rule.probe(normalised)) return rule.reason;
  return undefined;
}

const BY_REASON = new Map<ReasonRule['reason'], ReasonRule[]>();
for (const rule of [...RULES, vacation]) BY_REASON.set(rule.reason, [...(BY_REASON.get(rule.reason) ?? []), rule]);

/** Verdicts of `says` for the last text asked about: the decision asks about one text many times. */
let lastText = '';
let lastAnswers = new Map<ReasonRule['reason'], boolean>();

/** True when the (normalised) text carries the phrases of this one reason. */
export function says(reason: ReasonRule['reason'], normalised: string): boolean {
  if (normalised !== lastText) {
    lastText = normalised;
    lastAnswers = new Map();
  }
  let answer = lastAnswers.get(reason);
  if (answer === undefined) {
    answer = false;
    for (const rule of BY_REASON.get(reason) ?? []) if (rule.probe(normalised)) { answer = true; break; }
    lastAnswers.set(reason, answer);
  }
  return answer;
}
