import { defineRule } from './rule.js';

/** The mailbox (local part) does not exist at the destination. */
export const userunknown = defineRule('userunknown', [
  'user unknown', 'unknown user', 'userunknown', 'no such user', 'no such mailbox', 'no such recipient',
  'no such account', 'no such person', 'no such local user', 'unknown recipient', 'recipient unknown',
  'unknown local part', 'unknown local-part', 'unknown mailbox', 'address unknown',
  'user not found', 'recipient not found', 'mailbox not found', 'account not found',
  'address not found', 'user does not exist', 'user doesn\'t exist', 'mailbox does not exist',
  'recipient does not exist', 'account does not exist', 'address does not exist', 'user not exist',
  'does not exist here', 'email account that you tried to reach does not exist',
  'no mailbox here by that name', 'not a valid mailbox', 'invalid mailbox', 'invalid recipient',
  'invalid user', 'not a valid user', 'unknown or illegal user',
  'recipient name is not recognized', 'is not a known user', 'bad destination mailbox address',
  'no account by that name', 'mailbox unavailable', 'mailbox not available', 'mailbox is unavailable',
  'this user doesn\'t have a', 'not our customer', 'recipient address rejected: user',
  'recipient address rejected: unknown', 'recipient address rejected: undeliverable',
  'recipient address rejected: invalid', 'recipient address rejected: access denied',
  'rcpt to: unknown', 'unknown or invalid', 'no valid recipients',
  'user is not here', 'resolver.adr.recipientnotfound', 'recipientnotfound', 'the recipient\'s mailbox is unavailable',
  'no mailbox by that name', 'mailbox name not allowed', 'user unknown in', 'unknown in local recipient table',
  'not listed in domino directory', 'not listed in public name', 'is not a valid email',
  'this email address is wrong or no longer valid', 'is not an active address', 'is not a valid recipient', 'mailbox is not valid',
  // Wordings of particular servers: Exchange's directory, vpopmail / vdeliver, qmail's badrcptto and
  // validrcptto patches, hosting providers' "no one at this address".
  'address not present in directory', 'no such address', 'invalid or unknown virtual user', 'user missing home directory',
  'badrcptto', 'validrcptto', 'there is no one at this address', 'email address could not be found',
  'email name is not found', 'non-existent user', 'nonexistent user', 'no mail box available for this user',
  'this address no longer accepts mail', 'destination addresses were unknown',
  'destinataire inconnu', 'utilisateur inconnu', 'adresse inconnue', 'no existe dicha persona', 'no existe ese usuario', 'adresse nicht gefunden', 'destinataire invalide', 'invalid recipient',
], [/\bmailbox [^ ]{1,80} does not exist/, /\b(?:user|recipient|address|mailbox) [^ ]{1,80} (?:is )?unknown\b/]);
