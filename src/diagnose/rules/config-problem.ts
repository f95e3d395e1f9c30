// Rule: many recipients failing across many domains at once, with integration errors (AUTH, TLS,
// connection) or one reply from one host dominating: our SMTP configuration, not the recipients.
import type { IntegrationCause } from '../../types.js';
import { domainOf, minutes, replyShape, tally, type DiagnoseContext } from '../context.js';
import type { AttemptEvent, Finding } from '../types.js';
import { addressKey } from '../../util/address-key.js';

type Problem = 'AUTH rejected' | 'TLS failed' | 'cannot connect' | 'sender refused' | 'protocol error' | 'relay denied' | 'upstream refuses all mail';

const BY_CAUSE: Record<IntegrationCause, Problem> = {
  auth: 'AUTH rejected', tls: 'TLS failed', connection: 'cannot connect', timeout: 'cannot connect', greeting: 'cannot connect',
  dns: 'cannot connect', protocol: 'protocol error', sender: 'sender refused',
  operator: 'protocol error', // never an integration event: operator deletions are attempts only
};

/** Refusals that say something about us whatever their number; connection trouble must repeat. */
const DETERMINISTIC = new Set<IntegrationCause>(['auth', 'tls', 'sender']);

const WHERE: Record<Problem, string> = {
  'AUTH rejected': 'Check delivery.smarthost.auth (user and pass) against the account on the smarthost; a changed or expired password is the usual cause. Mail stays queued and is retried, no recipient was flagged.',
  'TLS failed': 'Check delivery.smarthost.starttls / secure / rejectUnauthorized and the smarthost certificate (name, expiry, chain); the upstream may also require STARTTLS before MAIL.',
  'cannot connect': 'Check delivery.smarthost.host and port (or the MX records in mx mode), DNS, and firewalls between this host and the upstream.',
  'sender refused': 'The upstream refuses our envelope sender: check the sender domain (SPF, allowed senders on the smarthost) and returnPath.domain.',
  'protocol error': 'The upstream broke the SMTP conversation: check that host and port point at an SMTP server (not HTTP, not implicit TLS on a STARTTLS port).',
  'relay denied': 'The upstream does not relay for us: configure delivery.smarthost.auth, or allow this host on the smarthost (e.g. Postfix mynetworks / smtpd_relay_restrictions).',
  'upstream refuses all mail': 'One host gives the same refusal for every domain: read the reply text and the upstream\'s own log; the cause is on that host or in how we talk to it, not in the recipients.',
};

/** "AUTH rejected by host", "cannot connect to host". */
function titleOf(problem: Problem, host: string): string {
  return `SMTP configuration problem: ${problem} ${problem === 'cannot connect' ? 'to' : 'by'} ${host}`;
}

function problemOfReply(text: string): Problem {
  if (/relay(ing)? (access )?(denied|not permitted|prohibited)|not permitted to relay|unable to relay/i.test(text)) return 'relay denied';
  if (/^53[05]\b|authenticat|5\.7\.(0|8)\b.*auth/i.test(text)) return 'AUTH rejected';
  if (/starttls|\btls\b/i.test(text)) return 'TLS failed';
  return 'upstream refuses all mail';
}

export function configProblem(ctx: DiagnoseContext): Finding[] {
  const failing = ctx.attempts.filter((a) => a.status !== 'delivered');
  const viaIntegration = integrationFinding(ctx, failing);
  if (viaIntegration) return [viaIntegration];
  const viaReply = dominantReplyFinding(ctx, failing.filter((a) => !a.integration));
  return viaReply ? [viaReply] : [];
}

function integrationFinding(ctx: DiagnoseContext, failing: AttemptEvent[]): Finding | undefined {
  if (ctx.integrations.length === 0) return undefined;
  // The most frequent cause that qualifies: AUTH/TLS/sender refusals at once, connection trouble when it repeats.
  const top = (tally(ctx.integrations, (e) => e.cause) as Array<[IntegrationCause, number]>)
    .find(([cause, count]) => DETERMINISTIC.has(cause) || count >= ctx.t.minConnectionErrors);
  if (!top) return undefined;
  const [topCause, n] = top;
  const events = ctx.integrations.filter((e) => e.cause === topCause);
  const problem = BY_CAUSE[topCause];
  const hosts = tally(events, (e) => e.mx ?? '(no host)');
  const host = hosts[0]![0];
  const rcpts = new Set(events.flatMap((e) => e.rcpts.map(addressKey)));
  for (const a of failing) if (a.integration === topCause) rcpts.add(addressKey(a.rcpt));
  const domains = new Set([...rcpts].map(domainOf));
  const flagged = [...rcpts].filter((r) => ctx.flagged.has(r)).length;
  const replies = tally(events, (e) => replyShape(e.response));
  const sample = events.find((e) => replyShape(e.response) === replies[0]![0])!;
  return {
    id: `smtp-config:${topCause}:${host}`,
    rule: 'smtp-config',
    severity: 'critical',
    title: titleOf(problem, host),
    summary: `${n} ${topCause} error(s) at ${host} in the last ${minutes(ctx.windowMs)}, affecting ${rcpts.size} recipient(s) across ${domains.size} domain(s)`
      + ` (${flagged} flagged). The upstream said: "${sample.response}". This is our configuration, not the recipients.`,
    evidence: [
      ...events.slice(-3).reverse().map((e) => ({ text: `${e.cause} error at ${e.mx ?? '?'}: ${e.response}`, time: e.time, queueId: e.queueId, count: e.rcpts.length })),
      ...hosts.slice(1, 4).map(([h, c]) => ({ text: `also at ${h}`, count: c })),
    ],
    nextStep: WHERE[problem],
  };
}

function dominantReplyFinding(ctx: DiagnoseContext, failing: AttemptEvent[]): Finding | undefined {
  const rcpts = new Set(failing.map((a) => addressKey(a.rcpt)));
  const domains = new Set([...rcpts].map(domainOf));
  if (rcpts.size < ctx.t.minFailingRecipients || domains.size < ctx.t.minDomains) return undefined;
  const groups = tally(failing, (a) => `${a.mx ?? ''}\n${replyShape(a.response)}`);
  const [key, n] = groups[0]!;
  if (n / failing.length < ctx.t.dominantShare) return undefined;
  const same = failing.filter((a) => `${a.mx ?? ''}\n${replyShape(a.response)}` === key);
  const sameDomains = new Set(same.map((a) => domainOf(a.rcpt)));
  if (sameDomains.size < ctx.t.minDomains) return undefined;
  const host = same[0]!.mx ?? '(no host)';
  const problem = problemOfReply(same[0]!.response);
  const flagged = new Set(same.map((a) => addressKey(a.rcpt)).filter((k) => ctx.flagged.has(k))).size;
  return {
    id: `smtp-config:reply:${host}`,
    rule: 'smtp-config',
    severity: 'critical',
    title: titleOf(problem, host),
    summary: `${n} of ${failing.length} failed attempts in the last ${minutes(ctx.windowMs)} got the same reply from ${host}, for ${new Set(same.map((a) => addressKey(a.rcpt))).size} recipient(s) across ${sameDomains.size} domain(s)`
      + ` (${flagged} flagged): "${same[0]!.response}". One host refusing every domain alike points at the setup, not the addresses.`,
    evidence: same.slice(-3).reverse().map((a) => ({ text: `${a.status}: ${a.response}`, time: a.time, queueId: a.queueId, rcpt: a.rcpt })),
    nextStep: WHERE[problem] + (flagged ? ' Once fixed, clear the flags these refusals set (rebound status <email>).' : ''),
  };
}
