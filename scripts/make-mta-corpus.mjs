#!/usr/bin/env node
// Real bounces with known truth: runs private Postfix and Exim instances (scripts/mta/) configured to
// fail in each way a recipient can, captures the DSN each MTA sends to the return path, and writes
// fixtures/mta-corpus/eml/*.eml plus manifest.json (the format of ../shared/corpus/manifest.json).
//
//   npm run corpus:mta            (needs root; installs Postfix / fetches Exim when missing)
//   node scripts/make-mta-corpus.mjs --only postfix-userunknown-rcpt,exim-mailboxfull-local
//
// The truth in the manifest (reason, status, reply code) is what each case was built to produce: the
// configuration written below and the documented behaviour of the MTA (postconf(5) reject codes,
// Exim's spec), never the output of Rebound's parser. `hardbounce` follows Sisimai's rule: true for
// userunknown, hostunknown, hasmoved and notaccept. The generator checks that each DSN carries the
// expected Status: and reply code, so a construction that does not do what it claims fails loudly.
//
// The hosts on the way:
//   pf-out   Postfix  the sending MTA (a smarthost): relays for 127.0.0.1, bounces to rp.test
//   ex-out   Exim     the same role, Exim's dialect
//   pf-mx    Postfix  a final hop: virtual mailboxes, local(8) domain, body/header checks, four listeners
//   ex-mx    Exim     a final hop: local mailboxes with a quota, ACLs, no relaying, an auto-responder
//   sm-out   Sendmail a sending MTA relaying everything through pf-mx (its smart host)
//   Dovecot's LDA + Pigeonhole Sieve behind pf-mx (pipe(8)) for v.test: a vacation responder
//   sink     smtp-server for rp.test: every DSN lands here (the return path)
import { chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import nodemailer from 'nodemailer';
import { freePort } from '../bench/lib/util.mjs';
import { startExim, eximVersion } from './mta/exim.mjs';
import { dovecotLda, dovecotVersion } from './mta/dovecot.mjs';
import { ensureDovecot, ensureExim, ensurePostfix, ensureSendmail } from './mta/install.mjs';
import { postfixVersion, startPostfix } from './mta/postfix.mjs';
import { startSendmail } from './mta/sendmail.mjs';
import { startSink } from './mta/sink.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(REPO, 'fixtures', 'mta-corpus');
const only = (() => {
  const i = process.argv.indexOf('--only');
  return i === -1 ? null : new Set(process.argv[i + 1].split(','));
})();

const HARD = new Set(['userunknown', 'hostunknown', 'hasmoved', 'notaccept']);
const SPAM_MARKER = 'FREE-CASINO-BONUS-7731';
const RBL_TEXT = (ip) => `Service unavailable; Client host [${ip}] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/${ip}`;

/**
 * The cases. `via`: the instance the message is submitted to; `lhost`: the MTA that writes the DSN;
 * `remote`: the MTA whose SMTP reply the DSN quotes (null when the failure is local to the reporter);
 * `says`: text (or texts, or a RegExp) of the mechanism the DSN must contain (checked, so a case cannot
 * silently fail another way); `after`: submitted once that case's DSN is in.
 */
const CASES = [
  // --- Postfix writes the DSN -------------------------------------------------------------------
  { id: 'postfix-userunknown-rcpt', says: 'User unknown in virtual mailbox table', via: 'pf-out', rcpt: 'ghost@b.test', lhost: 'Postfix', remote: 'Postfix',
    expect: { reason: 'userunknown', status: '5.1.1', replycode: '550' },
    construction: 'pf-mx lists only known@b.test and full@b.test in virtual_mailbox_maps; ghost@b.test is refused at RCPT (unknown_virtual_mailbox_reject_code 550)' },
  { id: 'postfix-userunknown-local', says: 'unknown user: "ghost"', via: 'pf-out', rcpt: 'ghost@d.test', lhost: 'Postfix', remote: null,
    expect: { reason: 'userunknown', status: '5.1.1', replycode: '' },
    construction: 'pf-mx has d.test in mydestination with local_recipient_maps empty: it accepts ghost@d.test, then local(8) finds no such user and pf-mx bounces' },
  { id: 'postfix-mailboxfull-virtual', says: 'error writing message: File too large', via: 'pf-out', rcpt: 'full@b.test', lhost: 'Postfix', remote: null, body: 'x'.repeat(3_000),
    expect: { reason: 'mailboxfull', status: '5.2.2', replycode: '' },
    construction: 'pf-mx virtual_mailbox_limit 20000; the mbox of full@b.test already holds 19000 bytes, so virtual(8) cannot append (EFBIG) and pf-mx bounces' },
  { id: 'postfix-mesgtoobig-size', says: 'exceeds size limit 2000 of server', via: 'pf-out', rcpt: 'known@big.test', lhost: 'Postfix', remote: null, body: 'y'.repeat(6_000),
    expect: { reason: 'mesgtoobig', status: '5.3.4', replycode: '' },
    construction: 'pf-mx listener "big" has message_size_limit 2000 and advertises SIZE 2000; pf-out sees the 6 KB message exceeds it and bounces without sending' },
  { id: 'postfix-hostunknown-dns', says: 'Host or domain name not found', via: 'pf-out', rcpt: 'someone@nosuch-domain.invalid', lhost: 'Postfix', remote: null,
    expect: { reason: 'hostunknown', status: '5.4.4', replycode: '' },
    construction: 'pf-out looks up the MX of a .invalid domain (RFC 6761: never exists); the resolver answers NXDOMAIN' },
  { id: 'postfix-norelaying', says: 'Relay access denied', via: 'pf-out', rcpt: 'someone@c.test', lhost: 'Postfix', remote: 'Postfix',
    expect: { reason: 'norelaying', status: '5.7.1', replycode: '554' },
    construction: 'pf-out routes c.test to pf-mx, which is not the destination for c.test and has smtpd_relay_restrictions = reject_unauth_destination (relay_domains_reject_code 554)' },
  { id: 'postfix-blocked-rbl', says: 'blocked using zen.spamhaus.org', via: 'pf-out', rcpt: 'known@rbl.test', lhost: 'Postfix', remote: 'Postfix',
    expect: { reason: 'blocked', status: '5.7.1', replycode: '554' },
    construction: 'pf-mx listener "rbl" has smtpd_client_restrictions = check_client_access answering 127.0.0.1 with the text Postfix\'s reject_rbl_client gives for zen.spamhaus.org' },
  { id: 'postfix-spamdetected-body', says: 'Message rejected as spam', via: 'pf-out', rcpt: 'known@b.test', lhost: 'Postfix', remote: 'Postfix', body: `Claim your ${SPAM_MARKER} now!`,
    expect: { reason: 'spamdetected', status: '5.7.1', replycode: '550' },
    construction: `pf-mx body_checks REJECT the line containing ${SPAM_MARKER} as spam at end of DATA` },
  { id: 'postfix-contenterror-header', says: 'Malformed MIME header', via: 'pf-out', rcpt: 'known@b.test', lhost: 'Postfix', remote: 'Postfix', headers: 'Content-Type: text/plain; charset=\r\n',
    expect: { reason: 'contenterror', status: '5.6.0', replycode: '550' },
    construction: 'pf-mx header_checks REJECT 5.6.0 a Content-Type header with an empty charset parameter (malformed MIME header) at end of DATA' },
  { id: 'postfix-expired-refused', says: 'Connection refused', via: 'pf-out', rcpt: 'someone@down.test', lhost: 'Postfix', remote: null, slow: true,
    expect: { reason: 'expired', status: '4.4.1', replycode: '' },
    construction: 'pf-out routes down.test to a loopback port nobody listens on (connection refused) with maximal_queue_lifetime 20s: retried, then returned as undeliverable' },
  { id: 'postfix-expired-greylist', says: 'Greylisted', via: 'pf-out', rcpt: 'known@grey.test', lhost: 'Postfix', remote: 'Postfix', slow: true,
    expect: { reason: 'expired', status: '4.7.1', replycode: '450' },
    construction: 'pf-mx listener "grey" answers every RCPT with DEFER_IF_PERMIT "Greylisted" (450 4.7.1) forever; pf-out retries until maximal_queue_lifetime 20s and returns it' },
  { id: 'postfix-hasmoved-relocated', says: 'User has moved to new-address@elsewhere.test', via: 'pf-out', rcpt: 'moved@b.test', lhost: 'Postfix', remote: 'Postfix',
    expect: { reason: 'hasmoved', status: '5.1.6', replycode: '550' },
    construction: 'pf-mx relocated_maps says moved@b.test moved to new-address@elsewhere.test; smtpd refuses it at RCPT (relocated_maps, 5.1.6)' },
  { id: 'postfix-rejected-sender', says: 'Sender address rejected: Domain not found', via: 'pf-out', rcpt: 'known@strict.test', lhost: 'Postfix', remote: 'Postfix',
    expect: { reason: 'rejected', status: '5.1.8', replycode: '550' },
    construction: 'pf-mx listener "strict" has smtpd_sender_restrictions = reject_unknown_sender_domain with unknown_address_reject_code 550; the sender domain rp.test is not in DNS' },
  { id: 'postfix-requireptr', says: 'cannot find your hostname', via: 'pf-out', rcpt: 'known@ptr.test', lhost: 'Postfix', remote: 'Postfix',
    expect: { reason: 'requireptr', status: '5.7.25', replycode: '550' },
    construction: 'pf-mx listener "ptr" has smtpd_client_restrictions = reject_unknown_client_hostname with unknown_client_reject_code 550; the client 127.0.0.1 has no hostname (smtpd_peername_lookup = no)' },
  { id: 'postfix-mailererror-pipe', says: 'Command died with status 1', via: 'pf-out', rcpt: 'someone@pipe.test', lhost: 'Postfix', remote: null,
    expect: { reason: 'mailererror', status: '5.3.0', replycode: '' },
    construction: 'pf-mx delivers pipe.test with the pipe(8) transport to /bin/false, which exits 1: pf-mx bounces with the command\'s exit status' },
  { id: 'postfix-two-recipients', says: ['User unknown in virtual mailbox table', 'Relay access denied'], via: 'pf-out', rcpt: ['ghost@b.test', 'someone@c.test'], lhost: 'Postfix', remote: 'Postfix',
    expect: [{ reason: 'userunknown', status: '5.1.1', replycode: '550' }, { reason: 'norelaying', status: '5.7.1', replycode: '554' }],
    construction: 'one message to two recipients both routed to pf-mx: ghost@b.test is unknown there (hard), someone@c.test is a relay attempt (soft); pf-out returns one DSN listing both' },
  // Postfix writes the DSN, Exim's reply is quoted
  { id: 'postfix-userunknown-exim-rcpt', says: 'Unrouteable address', via: 'pf-out', rcpt: 'ghost@e.test', lhost: 'Postfix', remote: 'Exim',
    expect: { reason: 'userunknown', status: '5.0.0', replycode: '550' },
    construction: 'ex-mx has e.test as a local domain with only known and full as users; its RCPT ACL "verify = recipient" refuses ghost@e.test (Exim: 550 Unrouteable address)' },
  { id: 'postfix-norelaying-exim', says: 'relay not permitted', via: 'pf-out', rcpt: 'someone@c2.test', lhost: 'Postfix', remote: 'Exim',
    expect: { reason: 'norelaying', status: '5.0.0', replycode: '550' },
    construction: 'ex-mx relays for no host (relay_from_hosts empty) and c2.test is not local: its RCPT ACL ends in "deny message = relay not permitted"' },
  { id: 'postfix-blocked-exim-rbl', says: 'is in a black list at zen.spamhaus.org', via: 'pf-out', rcpt: 'known@rbl2.test', lhost: 'Postfix', remote: 'Exim',
    expect: { reason: 'blocked', status: '5.0.0', replycode: '550' },
    construction: 'ex-mx RCPT ACL denies the client with the message Exim\'s dnslists condition gives by default ("rejected because IP is in a black list at zen.spamhaus.org" + the list\'s TXT text)' },
  { id: 'postfix-spamdetected-exim-data', says: 'This message scored 15.3 spam points', via: 'pf-out', rcpt: 'known@e.test', lhost: 'Postfix', remote: 'Exim', body: `Claim your ${SPAM_MARKER} now!`,
    expect: { reason: 'spamdetected', status: '5.0.0', replycode: '550' },
    construction: `ex-mx DATA ACL denies bodies containing ${SPAM_MARKER} with the SpamAssassin message of Exim's spec ("This message scored 15.3 spam points.")` },
  // Success DSNs (NOTIFY=SUCCESS): not bounces; nothing may be flagged.
  { id: 'postfix-delivered-dsn', says: 'delivered to mailbox', via: 'pf-out', rcpt: 'known@b.test', lhost: 'Postfix', remote: null, dsn: { notify: ['success'], ret: 'HDRS' }, action: 'delivered',
    expect: { reason: 'delivered', status: '2.0.0', replycode: '' },
    construction: 'submitted with NOTIFY=SUCCESS; pf-out passes it on to pf-mx (which offers DSN), pf-mx delivers into the virtual mailbox of known@b.test and reports success' },
  { id: 'exim-delivered-dsn', says: 'had successful delivery notifications', via: 'pf-out', rcpt: 'known@e.test', lhost: 'Exim', remote: null, dsn: { notify: ['success'], ret: 'HDRS' }, action: 'delivered',
    expect: { reason: 'delivered', status: '2.0.0', replycode: '' },
    construction: 'submitted with NOTIFY=SUCCESS; pf-out passes it on to ex-mx (dsn_advertise_hosts = *), which delivers into the mailbox of known@e.test and reports success' },
  // An auto-reply (RFC 3834), not a bounce: Exim's autoreply transport answering for an absent user.
  { id: 'exim-vacation-autoreply', says: 'I am out of the office', via: 'pf-out', rcpt: 'away@e.test', lhost: 'RFC3834', kind: 'rfc3834', reporter: 'Exim', remote: null, action: null,
    expect: { reason: 'vacation', status: '', replycode: '' },
    construction: 'ex-mx routes away@e.test through an accept router (unseen) to an autoreply transport, the vacation set-up of Exim\'s spec: the message is delivered and an auto-reply (Auto-Submitted: auto-replied, empty envelope sender) goes to the sender' },
  // --- Sendmail writes the DSN (everything relayed through its smart host, pf-mx) ---------------
  { id: 'sendmail-userunknown-rcpt', says: 'User unknown in virtual mailbox table', via: 'sm-out', rcpt: 'ghost@b.test', lhost: 'Sendmail', remote: 'Postfix',
    expect: { reason: 'userunknown', status: '5.1.1', replycode: '550' },
    construction: 'sm-out relays everything to its smart host pf-mx, which refuses ghost@b.test at RCPT (not in virtual_mailbox_maps)' },
  { id: 'sendmail-hasmoved-relocated', says: 'User has moved to new-address@elsewhere.test', via: 'sm-out', rcpt: 'moved@b.test', lhost: 'Sendmail', remote: 'Postfix',
    expect: { reason: 'hasmoved', status: '5.1.6', replycode: '550' },
    construction: 'sm-out relays to pf-mx, whose relocated_maps refuses moved@b.test (5.1.6 User has moved)' },
  { id: 'sendmail-norelaying', says: 'Relay access denied', via: 'sm-out', rcpt: 'someone@c.test', lhost: 'Sendmail', remote: 'Postfix',
    expect: { reason: 'norelaying', status: '5.7.1', replycode: '554' },
    construction: 'sm-out relays c.test to pf-mx, which is not its destination (reject_unauth_destination, 554 5.7.1 Relay access denied)' },
  // RET=HDRS: Sendmail's DSN travels through pf-mx too, and a full copy of the body would be refused again.
  { id: 'sendmail-spamdetected-body', says: 'Message rejected as spam', via: 'sm-out', rcpt: 'known@b.test', lhost: 'Sendmail', remote: 'Postfix', body: `Claim your ${SPAM_MARKER} now!`, dsn: { notify: ['failure'], ret: 'HDRS' },
    expect: { reason: 'spamdetected', status: '5.7.1', replycode: '550' },
    construction: `sm-out relays to pf-mx, whose body_checks REJECT the ${SPAM_MARKER} line as spam at end of DATA` },
  { id: 'sendmail-mesgtoobig-size', says: 'Message size exceeds fixed limit', via: 'sm-out', rcpt: 'known@b.test', lhost: 'Sendmail', remote: 'Postfix', body: 'y'.repeat(25_000),
    expect: { reason: 'mesgtoobig', status: '5.3.4', replycode: '552' },
    construction: 'sm-out sends a 25 KB message to pf-mx (message_size_limit 20000), which refuses it (552 5.3.4 Message size exceeds fixed limit)' },
  { id: 'postfix-userunknown-sendmail-rcpt', says: 'User unknown', via: 'pf-out', rcpt: 'ghost@sm-out.test', lhost: 'Postfix', remote: 'Sendmail',
    expect: { reason: 'userunknown', status: '5.1.1', replycode: '550' },
    construction: 'pf-out routes sm-out.test to sm-out, whose local domain has no user ghost: Sendmail refuses it at RCPT ("User unknown")' },
  { id: 'dovecot-vacation-sieve', says: 'I am out of the office until 14 December', via: 'pf-out', rcpt: 'away@v.test', lhost: 'RFC3834', kind: 'rfc3834', reporter: 'Dovecot', remote: null, action: null,
    expect: { reason: 'vacation', status: '', replycode: '' },
    construction: 'pf-mx delivers v.test through pipe(8) to Dovecot\'s LDA; away has an active Sieve script with a vacation action: Pigeonhole sends the auto-reply (Auto-Submitted: auto-replied) to the sender' },
  // --- Exim writes the DSN ----------------------------------------------------------------------
  { id: 'exim-userunknown-rcpt', says: 'User unknown in virtual mailbox table', via: 'ex-out', rcpt: 'ghost@b.test', lhost: 'Exim', remote: 'Postfix',
    expect: { reason: 'userunknown', status: '5.1.1', replycode: '550' },
    construction: 'ex-out relays b.test to pf-mx, which refuses ghost@b.test at RCPT (not in virtual_mailbox_maps)' },
  { id: 'exim-userunknown-local', says: 'Unrouteable address', via: 'ex-out', rcpt: 'ghost@y.test', lhost: 'Exim', remote: null,
    expect: { reason: 'userunknown', status: '5.0.0', replycode: '' },
    construction: 'ex-out accepts any local part for its local domain y.test at RCPT (no verify), then no router accepts ghost (the local_user router lists no such user): Exim bounces "Unrouteable address"' },
  { id: 'exim-mailboxfull-local', says: 'mailbox is full', via: 'ex-out', rcpt: 'full@x.test', lhost: 'Exim', remote: null, body: 'z'.repeat(3_000),
    expect: { reason: 'mailboxfull', status: '5.0.0', replycode: '' },
    construction: 'ex-out delivers x.test locally with appendfile quota = 1K; the 3 KB message exceeds it and the retry rule "* quota" (no retry times) makes it permanent' },
  { id: 'exim-mesgtoobig-size', says: 'Message size exceeds fixed limit', via: 'ex-out', rcpt: 'known@big.test', lhost: 'Exim', remote: 'Postfix', body: 'y'.repeat(6_000),
    expect: { reason: 'mesgtoobig', status: '5.3.4', replycode: '552' },
    construction: 'ex-out sends MAIL FROM with SIZE= to the pf-mx listener with message_size_limit 2000, which refuses it (552 5.3.4 Message size exceeds fixed limit)' },
  { id: 'exim-hostunknown-dns', says: 'Unrouteable address', via: 'ex-out', rcpt: 'someone@nosuch-domain.invalid', lhost: 'Exim', remote: null,
    expect: { reason: 'hostunknown', status: '5.0.0', replycode: '' },
    construction: 'ex-out routes everything not fixed by DNS (dnslookup router); a .invalid domain gets NXDOMAIN and the address is unrouteable' },
  { id: 'exim-norelaying', says: 'Relay access denied', via: 'ex-out', rcpt: 'someone@c.test', lhost: 'Exim', remote: 'Postfix',
    expect: { reason: 'norelaying', status: '5.7.1', replycode: '554' },
    construction: 'ex-out relays c.test to pf-mx, which refuses to relay it (reject_unauth_destination, 554 5.7.1 Relay access denied)' },
  { id: 'exim-blocked-rbl', says: 'blocked using zen.spamhaus.org', via: 'ex-out', rcpt: 'known@rbl.test', lhost: 'Exim', remote: 'Postfix',
    expect: { reason: 'blocked', status: '5.7.1', replycode: '554' },
    construction: 'ex-out relays rbl.test to the pf-mx listener whose check_client_access gives the reject_rbl_client text for zen.spamhaus.org' },
  { id: 'exim-spamdetected-body', says: 'Message rejected as spam', via: 'ex-out', rcpt: 'known@b.test', lhost: 'Exim', remote: 'Postfix', body: `Claim your ${SPAM_MARKER} now!`,
    expect: { reason: 'spamdetected', status: '5.7.1', replycode: '550' },
    construction: `ex-out relays to pf-mx, whose body_checks REJECT the ${SPAM_MARKER} line as spam at end of DATA` },
  { id: 'exim-hasmoved-relocated', says: 'User has moved to new-address@elsewhere.test', via: 'ex-out', rcpt: 'moved@b.test', lhost: 'Exim', remote: 'Postfix',
    expect: { reason: 'hasmoved', status: '5.1.6', replycode: '550' },
    construction: 'ex-out relays b.test to pf-mx, whose relocated_maps refuses moved@b.test at RCPT (5.1.6 User has moved)' },
  { id: 'exim-requireptr', says: 'cannot find your hostname', via: 'ex-out', rcpt: 'known@ptr.test', lhost: 'Exim', remote: 'Postfix',
    expect: { reason: 'requireptr', status: '5.7.25', replycode: '550' },
    construction: 'ex-out relays ptr.test to the pf-mx listener with reject_unknown_client_hostname (unknown_client_reject_code 550)' },
  { id: 'exim-expired-refused', says: 'retry timeout exceeded', via: 'ex-out', rcpt: 'someone@down.test', lhost: 'Exim', remote: null, slow: true,
    expect: { reason: 'expired', status: '5.0.0', replycode: '' },
    construction: 'ex-out routes down.test to a loopback port nobody listens on; retry rule F,15s,3s: after 15 s of connection refused the retry time is exceeded and Exim bounces' },
  { id: 'exim-expired-greylist', says: 'Greylisted', via: 'ex-out', rcpt: 'known@grey.test', lhost: 'Exim', remote: 'Postfix', slow: true,
    expect: { reason: 'expired', status: '4.7.1', replycode: '450' },
    construction: 'ex-out relays grey.test to the pf-mx listener that answers every RCPT with DEFER_IF_PERMIT "Greylisted" (450 4.7.1); after the retry rule\'s 15 s Exim gives up (retry timeout exceeded)' },
  { id: 'exim-expired-longfailure', says: /have been failing for a long time \(and retry time not reached\)|retry time not reached for any host after a long failure period|retry timeout exceeded/, via: 'ex-out', rcpt: 'other@down.test', lhost: 'Exim', remote: null, slow: true, after: 'exim-expired-refused',
    expect: { reason: 'expired', status: '5.0.0', replycode: '' },
    construction: 'submitted after ex-out bounced mail for the dead down.test host: the host has been failing for longer than the retry rule\'s 15 s cutoff, so Exim bounces the new message at once (its wording depends on whether the host\'s retry time has come: "all hosts ... failing for a long time" or, after one more refused connection, "retry timeout exceeded")' },
  { id: 'exim-two-recipients', says: ['User unknown in virtual mailbox table', 'Relay access denied'], via: 'ex-out', rcpt: ['ghost@b.test', 'someone@c.test'], lhost: 'Exim', remote: 'Postfix',
    expect: [{ reason: 'userunknown', status: '5.1.1', replycode: '550' }, { reason: 'norelaying', status: '5.7.1', replycode: '554' }],
    construction: 'one message to two recipients both relayed to pf-mx in one SMTP transaction: ghost@b.test unknown (hard), someone@c.test relay denied (soft); ex-out returns one DSN listing both' },
  // Exim as the final hop writes the DSN itself (accepted, then undeliverable)
  { id: 'exim-mailboxfull-final', says: 'mailbox is full', via: 'pf-out', rcpt: 'full@e.test', lhost: 'Exim', remote: null, body: 'z'.repeat(3_000),
    expect: { reason: 'mailboxfull', status: '5.0.0', replycode: '' },
    construction: 'pf-out relays e.test to ex-mx, which accepts full@e.test and delivers with appendfile quota = 1K; the 3 KB message exceeds it and "* quota" makes it permanent: ex-mx bounces' },
];

/** The recipients of a case with what each must come back as (`rcpt`/`expect` may be arrays, aligned). */
function targets(c) {
  return Array.isArray(c.rcpt) ? c.rcpt.map((rcpt, i) => ({ rcpt, expect: c.expect[i] })) : [{ rcpt: c.rcpt, expect: c.expect }];
}

function rawMessage(c, from) {
  return [
    `From: Corpus Sender <${from}>`,
    `To: ${targets(c).map((t) => `<${t.rcpt}>`).join(', ')}`,
    `Subject: MTA corpus ${c.id}`,
    `Message-ID: <${c.id}@corpus.rp.test>`,
    'Date: Tue, 01 Dec 2026 12:00:00 +0000',
    'MIME-Version: 1.0',
    ...(c.headers ? [c.headers.replace(/\r\n$/, '')] : ['Content-Type: text/plain; charset=us-ascii']),
    '',
    `Test message for the ${c.id} case.`,
    ...(c.body ? c.body.match(/.{1,76}/g) : []),
    '',
  ].join('\r\n');
}

async function submit(port, from, to, raw, dsn) {
  const t = nodemailer.createTransport({ host: '127.0.0.1', port, ignoreTLS: true, connectionTimeout: 10_000 });
  try {
    return await t.sendMail({ envelope: { from, to }, raw, ...(dsn ? { dsn } : {}) });
  } finally {
    t.close();
  }
}

async function main() {
  if (process.getuid?.() !== 0) throw new Error('make-mta-corpus needs root (private Postfix and Exim instances)');
  await ensurePostfix();
  const exim = await ensureExim();
  const sendmail = await ensureSendmail();
  const dovecot = await ensureDovecot();
  const versions = { Postfix: `Postfix ${await postfixVersion()}`, Exim: `Exim ${await eximVersion(exim)}`, Sendmail: null, Dovecot: await dovecotVersion(dovecot) };
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'rebound-mta-corpus-'));
  const live = [];
  let failedAny = true;
  try {
    const sink = await startSink();
    live.push(sink);
    // Nobody listens here: connection refused. Another loopback address than every live server, so
    // Exim's per-host retry record for it is not reset by successful deliveries to 127.0.0.1.
    const closedPort = await freePort();
    const DOWN = '127.0.0.2';
    const lda = dovecotLda({
      dovecot, dir: path.join(tmp, 'dovecot'), hostname: 'pf-mx.test', submissionHost: `127.0.0.1:${sink.port}`,
      users: { away: 'require ["vacation"];\nvacation :days 1 :subject "Out of office" :addresses ["away@v.test"]\n  "I am out of the office until 14 December with limited access to e-mail.";\n' },
    });
    const mxDir = path.join(tmp, 'pf-mx');
    const mxEtc = path.join(mxDir, 'etc');
    const pfMx = await startPostfix({
      dir: mxDir, name: 'pf-mx',
      virtual: {
        domains: ['b.test', 'big.test', 'rbl.test', 'grey.test', 'strict.test', 'ptr.test'],
        mailboxes: ['known@b.test', 'full@b.test', 'moved@b.test', 'known@big.test', 'known@rbl.test', 'known@grey.test', 'known@strict.test', 'known@ptr.test'],
        format: 'mbox', limit: 20_000,
      },
      main: {
        mydestination: 'd.test',
        // pipe.test: delivered by a pipe; rp.test: the DSNs Sendmail sends through its smart host (pf-mx).
        relay_domains: 'pipe.test, v.test, rp.test',
        dovecot_destination_recipient_limit: '1',
        message_size_limit: '20000',
        // pf-out connects from 127.0.0.1: no permit_mynetworks, so c.test is refused as a relay attempt.
        smtpd_relay_restrictions: 'reject_unauth_destination',
        header_checks: `regexp:${path.join(mxEtc, 'header_checks')}`,
        body_checks: `regexp:${path.join(mxEtc, 'body_checks')}`,
        relocated_maps: `texthash:${path.join(mxEtc, 'relocated')}`,
      },
      services: `badpipe unix - n n - - pipe\n  flags=q user=nobody argv=/bin/false\n${lda.masterService('dovecot')}`,
      maps: {
        header_checks: '/^Content-Type:.*charset=\\s*$/ REJECT 5.6.0 Malformed MIME header: empty charset parameter\n',
        body_checks: `/${SPAM_MARKER}/ REJECT 5.7.1 Message rejected as spam\n`,
        rbl_clients: `127.0.0.1 554 5.7.1 ${RBL_TEXT('127.0.0.1')}\n`,
        grey_rcpts: 'grey.test DEFER_IF_PERMIT Greylisted, see http://postgrey.schweikert.ch/help/grey.test.html\n',
        relocated: 'moved@b.test new-address@elsewhere.test\n',
      },
      listeners: {
        big: { message_size_limit: '2000' },
        rbl: { smtpd_client_restrictions: `check_client_access texthash:${path.join(mxEtc, 'rbl_clients')}` },
        grey: { smtpd_recipient_restrictions: `check_recipient_access texthash:${path.join(mxEtc, 'grey_rcpts')}` },
        strict: { smtpd_sender_restrictions: 'reject_unknown_sender_domain', unknown_address_reject_code: '550' },
        ptr: { smtpd_client_restrictions: 'reject_unknown_client_hostname', unknown_client_reject_code: '550' },
      },
      // pipe.test and v.test (relay_domains) go to pipe(8) services: /bin/false, and Dovecot's LDA.
      transport: { 'rp.test': `smtp:[127.0.0.1]:${sink.port}`, 'pipe.test': 'badpipe:', 'v.test': 'dovecot:' },
    });
    live.push(pfMx);
    // The mailbox that is nearly full: 19000 of the 20000 bytes virtual_mailbox_limit allows.
    const fullBox = path.join(mxDir, 'mail', 'full.b.test');
    writeFileSync(fullBox, `From old@rp.test Tue Dec  1 00:00:00 2026\n\n${'o'.repeat(18_940)}\n\n`, { mode: 0o600 });
    chownSync(fullBox, 65534, 65534);

    const exMx = await startExim({
      exim, dir: path.join(tmp, 'ex-mx'), name: 'ex-mx',
      localDomains: ['e.test'], users: ['known', 'full', 'away'], quota: '1K', relayFromHosts: [],
      main: { dsn_advertise_hosts: '*' },
      extraRouters: `
vacation:
  driver = accept
  domains = +local_domains
  local_parts = away
  condition = \${if or{{!def:sender_address}{def:h_auto-submitted:}{match{$h_precedence:}{(?i)junk|bulk|list}}}{no}{yes}}
  no_verify
  unseen
  transport = vacation_reply
`,
      extraTransports: `
vacation_reply:
  driver = autoreply
  from = Away User <away@e.test>
  to = $sender_address
  subject = Out of office: $h_subject:
  text = I am out of the office until 14 December with limited access to e-mail.\\n\\
For urgent matters please contact support@e.test.
  once = ${path.join(tmp, 'ex-mx', 'spool', 'vacation.db')}
  once_repeat = 7d
`,
      routes: { 'rp.test': `127.0.0.1:${sink.port}` },
      rcptAcl: [
        '  deny    domains = rbl2.test',
        '          message = rejected because $sender_host_address is in a black list at zen.spamhaus.org\\n\\',
        '                    https://www.spamhaus.org/query/ip/$sender_host_address',
      ].join('\n'),
      dataAcl: [
        `  deny    condition = \${if match{$message_body}{${SPAM_MARKER}}}`,
        '          message = This message scored 15.3 spam points.',
      ].join('\n'),
      retry: '*  quota\n*  *  F,15s,3s',
    });
    live.push(exMx);

    const smOut = await startSendmail({ sendmail, dir: path.join(tmp, 'sm-out'), name: 'sm-out', smartHost: `127.0.0.1:${pfMx.ports.smtp}` });
    live.push(smOut);

    const pfOut = await startPostfix({
      dir: path.join(tmp, 'pf-out'), name: 'pf-out',
      main: { maximal_queue_lifetime: '20s', bounce_queue_lifetime: '20s' },
      transport: {
        'b.test': `smtp:[127.0.0.1]:${pfMx.ports.smtp}`, 'c.test': `smtp:[127.0.0.1]:${pfMx.ports.smtp}`, 'd.test': `smtp:[127.0.0.1]:${pfMx.ports.smtp}`,
        'big.test': `smtp:[127.0.0.1]:${pfMx.ports.big}`, 'rbl.test': `smtp:[127.0.0.1]:${pfMx.ports.rbl}`, 'grey.test': `smtp:[127.0.0.1]:${pfMx.ports.grey}`,
        'strict.test': `smtp:[127.0.0.1]:${pfMx.ports.strict}`, 'ptr.test': `smtp:[127.0.0.1]:${pfMx.ports.ptr}`,
        'pipe.test': `smtp:[127.0.0.1]:${pfMx.ports.smtp}`, 'v.test': `smtp:[127.0.0.1]:${pfMx.ports.smtp}`,
        'down.test': `smtp:[${DOWN}]:${closedPort}`,
        'e.test': `smtp:[127.0.0.1]:${exMx.ports.smtp}`, 'c2.test': `smtp:[127.0.0.1]:${exMx.ports.smtp}`, 'rbl2.test': `smtp:[127.0.0.1]:${exMx.ports.smtp}`,
        'sm-out.test': `smtp:[127.0.0.1]:${smOut.ports.smtp}`,
        'rp.test': `smtp:[127.0.0.1]:${sink.port}`,
      },
    });
    live.push(pfOut);

    const exOut = await startExim({
      exim, dir: path.join(tmp, 'ex-out'), name: 'ex-out',
      localDomains: ['x.test', 'y.test'], users: ['full'], quota: '1K',
      rcptAcl: '  accept  domains = y.test',
      routes: {
        'b.test': `127.0.0.1:${pfMx.ports.smtp}`, 'c.test': `127.0.0.1:${pfMx.ports.smtp}`,
        'big.test': `127.0.0.1:${pfMx.ports.big}`, 'rbl.test': `127.0.0.1:${pfMx.ports.rbl}`,
        'ptr.test': `127.0.0.1:${pfMx.ports.ptr}`, 'grey.test': `127.0.0.1:${pfMx.ports.grey}`,
        'down.test': `${DOWN}:${closedPort}`, 'rp.test': `127.0.0.1:${sink.port}`,
      },
      retry: '*  quota\n*  *  F,15s,3s',
    });
    live.push(exOut);
    versions.Sendmail = `Sendmail ${smOut.version}`;
    console.log(`MTAs: ${Object.values(versions).join(', ')}`);
    const entry = { 'pf-out': pfOut.ports.smtp, 'ex-out': exOut.ports.smtp, 'sm-out': smOut.ports.smtp };

    const cases = CASES.filter((c) => !only || only.has(c.id));
    // All at once, except a case `after` another: it is submitted once that one's DSN is in.
    const done = new Map();
    const runCase = async (c) => {
      const from = `${c.id}@rp.test`;
      try {
        if (c.after) await done.get(c.after);
        await submit(entry[c.via], from, targets(c).map((t) => t.rcpt), rawMessage(c, from), c.dsn);
        const dsn = await sink.waitFor((m) => m.to.includes(from), c.slow ? 120_000 : 45_000);
        return { c, dsn };
      } catch (err) {
        return { c, error: err.message };
      }
    };
    for (const c of cases) done.set(c.id, null);
    for (const c of cases) done.set(c.id, runCase(c));
    const results = await Promise.all(cases.map((c) => done.get(c.id)));

    mkdirSync(path.join(OUT, 'eml'), { recursive: true });
    if (!only) for (const f of readdirSync(path.join(OUT, 'eml'))) unlinkSync(path.join(OUT, 'eml', f));
    const manifestFile = path.join(OUT, 'manifest.json');
    let manifest = [];
    if (only) try { manifest = JSON.parse(readFileSync(manifestFile, 'utf8')); } catch { manifest = []; }
    const failed = [];
    for (const { c, dsn, error } of results) {
      if (error) { failed.push(`${c.id}: ${error}`); continue; }
      const text = dsn.raw.toString('latin1').replace(/\r\n/g, '\n');
      const problems = checkConstruction(c, text);
      if (problems.length) { failed.push(`${c.id}: ${problems.join('; ')}`); writeFileSync(path.join(tmp, `${c.id}.eml`), text); continue; }
      const file = `eml/${c.id}.eml`;
      writeFileSync(path.join(OUT, file), text, 'latin1');
      manifest = manifest.filter((e) => e.file !== file);
      manifest.push({
        file, kind: c.kind ?? 'lhost', lhost: c.lhost, rhost: null, decodedby: [c.lhost],
        // In the order the DSN lists them (the order a reader meets them).
        expected: targets(c)
          .sort((a, b) => finalRecipientAt(text, a.rcpt) - finalRecipientAt(text, b.rcpt))
          .map(({ rcpt, expect: x }) => ({ rcpt, status: x.status, replycode: x.replycode, reason: x.reason, hardbounce: HARD.has(x.reason) })),
        label_source: 'construction (scripts/make-mta-corpus.mjs)',
        construction: c.construction,
        mta: { reporter: versions[c.reporter ?? c.lhost], remote: c.remote ? versions[c.remote] : null },
        bytes: Buffer.byteLength(text, 'latin1'),
        sha256: createHash('sha256').update(Buffer.from(text, 'latin1')).digest('hex'),
      });
      console.log(`  ok   ${c.id}`);
    }
    manifest.sort((a, b) => a.file.localeCompare(b.file));
    writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 1)}\n`);
    for (const f of failed) console.log(`  FAIL ${f}`);
    console.log(`${manifest.length} fixtures in ${path.relative(REPO, manifestFile)}${failed.length ? `; ${failed.length} cases failed (their DSNs, if any, are in ${tmp})` : ''}`);
    if (failed.length) {
      for (const m of live) if (m.logPath) console.log(`--- ${m.name} log tail ---\n${m.log().slice(-3_000)}`);
    }
    failedAny = failed.length > 0;
    return failedAny ? 1 : 0;
  } finally {
    for (const m of live.reverse()) await m.stop().catch((err) => console.error(`stop: ${err.message}`));
    // A failed case's DSN and the MTAs' logs stay for a look.
    if (!process.env.KEEP_TMP && !failedAny) rmSync(tmp, { recursive: true, force: true });
  }
}

/** Where the DSN's Final-Recipient field for `rcpt` is (-1 when absent: auto-replies). */
function finalRecipientAt(text, rcpt) {
  return text.search(new RegExp(`^Final-Recipient:\\s*rfc822;\\s*${rcpt.replace(/[.+]/g, '\\$&')}\\s*$`, 'im'));
}

/**
 * What the DSN must show if the case did what it claims: its Action (failed), the recipient, the text
 * of the mechanism (`says`), the status (in Status: or, as Exim reports 5.0.0 for remote failures,
 * in the quoted reply) and the reply code.
 */
function checkConstruction(c, text) {
  const flat = text.replace(/\s+/g, ' ');
  const p = [];
  const action = c.action === undefined ? 'failed' : c.action;
  if (action && !new RegExp(`^Action: ${action}$`, 'im').test(text)) p.push(`no "Action: ${action}"`);
  if (c.kind === 'rfc3834' && !/^Auto-Submitted: auto-replied/im.test(text)) p.push('no "Auto-Submitted: auto-replied"');
  for (const says of [c.says].flat()) if (!(says instanceof RegExp ? says.test(flat) : flat.includes(says))) p.push(`does not say "${says}"`);
  for (const { rcpt, expect: x } of targets(c)) {
    if (!text.includes(rcpt)) p.push(`recipient ${rcpt} not named`);
    const st = x.status.replace(/\./g, '\\.');
    if (st && !new RegExp(`^Status: ${st}\\b`, 'm').test(text) && !new RegExp(`\\b\\d{3}[ -]${st}\\b`).test(flat)) p.push(`no status ${x.status} (Status: ${/^Status: (\S+)/m.exec(text)?.[1] ?? 'none'})`);
    if (x.replycode && !new RegExp(`\\b${x.replycode}[ -]`).test(flat)) p.push(`no reply code ${x.replycode}`);
  }
  if (targets(c).length > 1 && (text.match(/^Final-Recipient:/gim) ?? []).length !== targets(c).length) p.push('not one DSN for all recipients');
  return p;
}

process.exitCode = await main();
