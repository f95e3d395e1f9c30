// sendmail syslog lines, joined by sendmail queue id:
//   QID: from=<a@b>, size=5, class=0, nrcpts=1, msgid=<...>, proto=ESMTP, daemon=MTA, relay=host [ip]
//   QID: to=<c@d>,<e@f>, ctladdr=<a@b> (1/1), delay=00:00:01, xdelay=..., mailer=esmtp, pri=30091,
//        relay=mx.d. [1.2.3.4], dsn=2.0.0, stat=Sent (ok queued as X)
//   QID: NDRQID: DSN: User unknown        (sendmail created a bounce, queue id NDRQID)
import type { Emit, EvidenceStatus, LineOutcome, LineReader, ReaderOptions } from '../types.js';
import { JoiningReader } from './joining-reader.js';
import { leadingReplyCode, stripAngles } from '../parse/smtp-reply.js';

interface OpenMessage {
  from: string;
  messageId?: string;
}

const PROGRAMS = ['sendmail', 'sm-mta', 'sm-msp-queue'];

/** Mailers that deliver on this host (mailer=esmtp, smtp, relay hand the message to another host). */
const MAILBOX_MAILERS = new Set(['local', 'prog', 'lmtp', 'cyrus', 'cyrusv2', 'procmail', 'mail11', '*file*']);

function isQueueIdToken(line: string, start: number, end: number): boolean {
  const len = end - start;
  if (len < 8 || len > 20) return false;
  for (let i = start; i < end; i++) {
    const c = line.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122))) return false;
  }
  return true;
}

/**
 * "k=v, k=v, stat=free text" -> map. stat= is always last and may hold ", "; values such as
 * "ctladdr=<a> (1/1)" and "relay=host [ip]" hold spaces, so split on ", " before a "key=".
 */
export function parseSendmailFields(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let statAt = text.startsWith('stat=') ? 0 : text.indexOf(', stat=');
  const head = statAt < 0 ? text : text.slice(0, statAt);
  let key = '';
  for (const part of head.split(', ')) {
    const eq = part.indexOf('=');
    if (eq > 0 && /^[a-z_]+$/.test(part.slice(0, eq))) {
      key = part.slice(0, eq);
      out.set(key, part.slice(eq + 1));
    } else if (key) {
      out.set(key, `${out.get(key)}, ${part}`);
    }
  }
  if (statAt >= 0) out.set('stat', text.slice(statAt === 0 ? 5 : statAt + 7));
  return out;
}

function statusOf(stat: string, dsn: string | undefined): EvidenceStatus {
  if (stat.startsWith('Sent')) return 'sent';
  if (stat.startsWith('Deferred') || stat.startsWith('queued')) return 'deferred';
  if (dsn?.startsWith('2')) return 'sent';
  if (dsn?.startsWith('4')) return 'deferred';
  // Permanent failures read like "User unknown", "Host unknown (...)", "Service unavailable".
  return 'bounced';
}

/** Recipients in "to=": comma-separated, each maybe in <>; commas inside <> or quotes stay. */
function splitRecipients(value: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '"') quoted = !quoted;
    else if (!quoted && c === '<') depth++;
    else if (!quoted && c === '>') depth--;
    else if (!quoted && depth === 0 && c === ',') {
      out.push(value.slice(start, i));
      start = i + 1;
    }
  }
  out.push(value.slice(start));
  return out.map((r) => stripAngles(r.trim())).filter((r) => r.length > 0);
}

export class SendmailReader extends JoiningReader<OpenMessage> implements LineReader {
  readonly format = 'sendmail' as const;

  readLine(line: string, lineNo: number, emit: Emit): LineOutcome {
    const p = this.prefix;
    if (!p.parse(line)) return 'malformed';
    if (!PROGRAMS.includes(p.program)) return 'ok';
    const b = p.bodyStart;
    const colon = line.indexOf(': ', b);
    if (colon < 0 || !isQueueIdToken(line, b, colon)) return 'ok'; // STARTTLS, ruleset, AUTH lines
    const qid = line.slice(b, colon);
    const rest = colon + 2;
    if (line.startsWith('from=', rest)) return this.arrival(line, lineNo, qid, rest, emit);
    if (line.startsWith('to=', rest)) return this.delivery(line, lineNo, qid, rest, emit);
    // "QID: NDRQID: DSN: reason" / "QID: NDRQID: return to sender: reason"
    const colon2 = line.indexOf(': ', rest);
    if (colon2 > 0 && isQueueIdToken(line, rest, colon2)) {
      const what = line.slice(colon2 + 2);
      if (what.startsWith('DSN: ') || what.startsWith('return to sender: ') || what.startsWith('postmaster notify: ')) {
        const reason = what.slice(what.indexOf(': ') + 2);
        const ev = this.evidence(line, lineNo, qid, /^Cannot send message (for|within)/.test(reason) ? 'expired' : 'other');
        ev.ndrQueueId = line.slice(rest, colon2);
        ev.reply = reason;
        emit(ev);
      }
    }
    return 'ok';
  }

  private arrival(line: string, lineNo: number, qid: string, rest: number, emit: Emit): LineOutcome {
    const f = parseSendmailFields(line.slice(rest));
    const from = f.get('from');
    if (from === undefined) return 'malformed';
    const msg: OpenMessage = { from: from === '<>' ? '' : stripAngles(from) };
    const msgid = f.get('msgid');
    if (msgid) msg.messageId = stripAngles(msgid);
    this.open.set(qid, msg);
    const ev = this.evidence(line, lineNo, qid, 'received');
    const relay = f.get('relay');
    if (relay) ev.relay = relay;
    emit(ev);
    return 'ok';
  }

  private delivery(line: string, lineNo: number, qid: string, rest: number, emit: Emit): LineOutcome {
    const f = parseSendmailFields(line.slice(rest));
    const to = f.get('to');
    const stat = f.get('stat');
    if (!to || stat === undefined) return 'malformed';
    const dsn = f.get('dsn');
    const status = statusOf(stat, dsn);
    const relay = f.get('relay');
    // "Sent (250 ok)" -> "250 ok"; "Deferred: Connection refused by x" -> "Connection refused by x"
    let reply = stat;
    const open = stat.indexOf(' (');
    if (stat.startsWith('Sent') && open >= 0) reply = stat.slice(open + 2, stat.endsWith(')') ? -1 : undefined);
    else if (stat.startsWith('Deferred: ')) reply = stat.slice(10);
    const mailer = f.get('mailer');
    const via = status !== 'sent' || mailer === undefined ? undefined : MAILBOX_MAILERS.has(mailer) ? 'mailbox' as const : 'smtp' as const;
    for (const rcpt of splitRecipients(to)) {
      const ev = this.evidence(line, lineNo, qid, status);
      ev.rcpt = rcpt;
      if (via) ev.via = via;
      if (dsn) ev.dsn = dsn;
      if (relay) ev.relay = relay;
      ev.reply = reply;
      const code = leadingReplyCode(reply);
      if (code !== undefined) ev.code = code;
      emit(ev);
    }
    return 'ok';
  }
}

export function createSendmailReader(opts: ReaderOptions): SendmailReader {
  return new SendmailReader(opts);
}
