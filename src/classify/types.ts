/** Sisimai's reason vocabulary: the fine-grained "why" of a failure. */
export const REASONS = [
  'userunknown', 'hostunknown', 'hasmoved', 'notaccept', 'mailboxfull', 'suspend', 'systemfull',
  'blocked', 'rejected', 'filtered', 'policyviolation', 'spamdetected', 'authfailure', 'badreputation',
  'requireptr', 'toomanyconn', 'speeding', 'securityerror', 'failedstarttls', 'norelaying',
  'networkerror', 'systemerror', 'expired', 'mesgtoobig', 'exceedlimit', 'contenterror', 'syntaxerror',
  'notcompliantrfc', 'onhold', 'mailererror', 'virusdetected', 'vacation', 'feedback', 'delivered',
  'undefined',
] as const;
export type Reason = (typeof REASONS)[number];

/** The six categories a customer-facing person sees. */
export const CATEGORIES = [
  'Invalid Email', 'Mailbox Error', 'Autoresponder', 'Blocked', 'Spam', 'Not Delivered',
] as const;
export type Category = (typeof CATEGORIES)[number];

/** An SMTP reply (synchronous, from the relay) or the status part of a bounce. */
export interface ReplyInput {
  /** Basic reply code, e.g. 550. */
  code?: number | undefined;
  /** Enhanced status code (RFC 3463), e.g. "5.1.1". */
  enhanced?: string | undefined;
  /** Full reply or diagnostic text. */
  text?: string | undefined;
  /** SMTP command the reply answered ("MAIL", "RCPT", "DATA"...), when known. */
  command?: string | undefined;
  /** Override the permanent/temporary judgement (a bounce parser knows it from Action/Status). */
  permanent?: boolean | undefined;
  /** A reason already decided by a dialect-specific parser; only hard/category are derived. */
  reason?: Reason | undefined;
}

/** What the classifier concludes about one failure. */
export interface Verdict {
  reason: Reason;
  /** True only when the address itself is invalid (the recipient flag). */
  hard: boolean;
  category: Category;
  /** True for a permanent (5xx-class) failure, false for a temporary one. */
  permanent: boolean;
}

export interface CategoryInfo {
  category: Category;
  why: string;
  todo: string;
}
