import { defineRule } from './rule.js';

/** The mailbox exists but has no room (quota). */
export const mailboxfull = defineRule('mailboxfull', [
  'mailbox full', 'mta-imposed quota exceeded', 'mailfolder is over the allowed quota', 'mailbox is full', 'mailbox is over quota', 'mail box full', 'mailbox has exceeded',
  'mailbox size limit exceeded', 'mailbox would exceed', 'mailbox exceeded', 'mailfolder is full',
  'mailbox not enough space', 'full mailbox', 'account is full', 'account is over quota', 'user is over quota',
  'is over quota', 'over quota', 'overquota', 'over the quota', 'quota exceeded', 'quota exceed', 'exceeds the quota',
  'exceeded quota', 'disk quota', 'storage quota', 'mail quota', 'quota full', 'exceeded storage allocation',
  'user has exceeded', 'recipient reached disk quota', 'too much mail data', 'maildir over quota',
  'as their mailbox is full', 'insufficient storage in mailbox', 'not enough storage space in',
  'boîte pleine', 'boite pleine', 'postfach voll', 'buzón lleno', 'メールボックスがいっぱい',
]);
