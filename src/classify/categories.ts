import type { Category, CategoryInfo, Reason } from './types.js';

const INFO: Record<Category, Omit<CategoryInfo, 'category'>> = {
  'Invalid Email': {
    why: 'The receiving server says this address does not exist: the mailbox or the whole domain is unknown, or the person moved.',
    todo: 'Check the address for typos and ask the person for a current one. Stop sending to it until it is corrected.',
  },
  'Mailbox Error': {
    why: 'The address exists, but its mailbox could not take the message right now (full, disabled, or the server had a problem).',
    todo: 'Usually temporary: try again later. If it keeps happening, contact the person another way.',
  },
  Autoresponder: {
    why: 'The message was delivered and an automatic reply came back (out of office, vacation, ticket confirmation).',
    todo: 'Nothing to fix. Read the reply if it names another contact or a return date.',
  },
  Blocked: {
    why: 'The receiving server refused the message because of the sender, its server or its content (spam filter, blocklist, policy), not because of the address.',
    todo: 'Check the rejection text: fix sender authentication (SPF, DKIM, DMARC), reputation or content, or ask the recipient to allow the sender.',
  },
  Spam: {
    why: 'The recipient marked the message as spam, and their provider told us (a feedback-loop complaint).',
    todo: 'Stop sending to this address; it is suppressed automatically. Review how they came to receive it.',
  },
  'Not Delivered': {
    why: 'The message could not be delivered for a reason that is not the address: too large, timed out, a network or configuration error.',
    todo: 'Look at the reply text; fix the message or the sending configuration and resend.',
  },
};

const BY_REASON: Partial<Record<Reason, Category>> = {
  userunknown: 'Invalid Email', hostunknown: 'Invalid Email', hasmoved: 'Invalid Email', notaccept: 'Invalid Email',
  mailboxfull: 'Mailbox Error', suspend: 'Mailbox Error', systemfull: 'Mailbox Error',
  vacation: 'Autoresponder',
  feedback: 'Spam',
  blocked: 'Blocked', rejected: 'Blocked', filtered: 'Blocked', policyviolation: 'Blocked', spamdetected: 'Blocked',
  badreputation: 'Blocked', requireptr: 'Blocked', virusdetected: 'Blocked', contenterror: 'Blocked',
  authfailure: 'Blocked', speeding: 'Blocked', toomanyconn: 'Blocked', notcompliantrfc: 'Blocked',
};

export function categoryOf(reason: Reason): Category {
  return BY_REASON[reason] ?? 'Not Delivered';
}

export function categoryInfo(category: Category): CategoryInfo {
  return { category, ...INFO[category] };
}
