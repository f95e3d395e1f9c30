// Postfix syslog lines. One message's story is spread over several daemons, joined by queue id:
//   cleanup: QID: message-id=<...>                 (a new life for QID)
//   qmgr:    QID: from=<...>, size=..., nrcpt=N (queue active)
//   smtp/lmtp/local/virtual/pipe/error/qmgr: QID: to=<...>, [orig_to=<...>,] relay=..., ..., dsn=X.Y.Z, status=S (reply)
//   bounce:  QID: sender non-delivery notification: NDRQID
//   qmgr:    QID: removed                           (end of life; the id may be reused later)
// Hot path: indexOf/startsWith on the line, no regex per line.
import type { Emit, LineOutcome, LineReader, EvidenceStatus, ReaderOptions } from '../types.js';
import { JoiningReader } from './joining-reader.js';
import { leadingReplyCode } from '../parse/smtp-reply.js';

interface OpenMessage {
  messageId?: string;
  from?: string;
}

const DELIVERY_STATUS: Record<string, EvidenceStatus> = {
  sent: 'sent',
  deferred: 'deferred',
  bounced: 'bounced',
  expired: 'expired',
};

/** Delivery agents that put the message into a mailbox on this host (or a program that does). */
const MAILBOX_AGENTS = new Set(['local', 'virtual', 'lmtp', 'pipe']);

/** Short ids are upper-case hex; long ids (enable_long_queue_ids) are alphanumeric with digits. */
export function isPostfixQueueId(line: string, start: number, end: number): boolean {
  const len = end - start;
  if (len < 5 || len > 20) return false;
  let hex = true;
  let digits = false;
  for (let i = start; i < end; i++) {
    const c = line.charCodeAt(i);
    if (c >= 48 && c <= 57) digits = true;
    else if (c >= 65 && c <= 70) continue;
    else if ((c >= 71 && c <= 90) || (c >= 97 && c <= 122)) hex = false;
    else return false;
  }
  return hex || (digits && len >= 10);
}

/** Value after `key` up to the next ", " (or end of line). */
function fieldAfter(line: string, key: string, from: number): string | undefined {
  const at = line.indexOf(key, from);
  if (at < 0) return undefined;
  const start = at + key.length;
  const end = line.indexOf(', ', start);
  return line.slice(start, end < 0 ? line.length : end);
}

/** "host x[1.2.3.4] said: 550 5.1.1 ..." -> 550; "250 2.0.0 Ok" -> 250. */
function replyCode(reply: string): number | undefined {
  const said = reply.indexOf(' said: ');
  return leadingReplyCode(said >= 0 ? reply.slice(said + 7) : reply);
}

export class PostfixReader extends JoiningReader<OpenMessage> implements LineReader {
  readonly format = 'postfix' as const;
  private lastProgram = '';
  private lastVia: 'mailbox' | 'smtp' | undefined;

  /** "postfix/smtp" or, with multiple instances, "postfix-out/virtual": the agent after the slash says where mail went. */
  private viaOf(program: string): 'mailbox' | 'smtp' | undefined {
    if (program !== this.lastProgram) {
      const agent = program.slice(program.lastIndexOf('/') + 1);
      this.lastProgram = program;
      this.lastVia = agent === 'smtp' ? 'smtp' : MAILBOX_AGENTS.has(agent) ? 'mailbox' : undefined;
    }
    return this.lastVia;
  }

  readLine(line: string, lineNo: number, emit: Emit): LineOutcome {
    const p = this.prefix;
    if (!p.parse(line)) return 'malformed';
    // Other programs share the mail log (dovecot, amavis, ...): Postfix daemons are "name/daemon".
    if (p.program.indexOf('/') < 0) return 'ok';
    const b = p.bodyStart;
    const colon = line.indexOf(': ', b);
    if (colon < 0 || !isPostfixQueueId(line, b, colon)) return 'ok'; // connect/disconnect, warnings, NOQUEUE
    const qid = line.slice(b, colon);
    const rest = colon + 2;
    const c = line.charCodeAt(rest);
    if (c === 116 /* t */ && line.startsWith('to=<', rest)) return this.delivery(line, lineNo, qid, rest, emit);
    if (c === 109 /* m */ && line.startsWith('message-id=', rest)) {
      const raw = line.slice(rest + 11).trim();
      const id = raw.startsWith('<') ? raw.slice(1, raw.indexOf('>') > 0 ? raw.indexOf('>') : raw.length) : raw;
      this.open.set(qid, id ? { messageId: id } : {});
      return 'ok';
    }
    if (c === 102 /* f */ && line.startsWith('from=<', rest)) return this.sender(line, lineNo, qid, rest, emit);
    if (c === 114 /* r */ && line.length === rest + 7 && line.endsWith('removed')) {
      this.open.delete(qid);
      return 'ok';
    }
    const note = line.indexOf(' notification: ', rest);
    if (note > 0) {
      const ev = this.evidence(line, lineNo, qid, 'other');
      ev.ndrQueueId = line.slice(note + 15).trim();
      ev.reply = line.slice(rest, note + 13);
      emit(ev);
    }
    return 'ok';
  }

  /** qmgr "from=<...>, size=..., nrcpt=..." keeps the sender; "from=<...>, status=expired, returned to sender" ends tries. */
  private sender(line: string, lineNo: number, qid: string, rest: number, emit: Emit): LineOutcome {
    const end = line.indexOf('>', rest + 6);
    if (end < 0) return 'malformed';
    const from = line.slice(rest + 6, end);
    let msg = this.open.get(qid);
    if (!msg) {
      msg = {};
      this.open.set(qid, msg);
    }
    msg.from = from;
    if (line.indexOf(', status=expired', end) > 0) {
      const ev = this.evidence(line, lineNo, qid, 'expired');
      const reason = line.indexOf(', ', line.indexOf(', status=expired', end) + 2);
      if (reason > 0) ev.reply = line.slice(reason + 2);
      emit(ev);
    }
    return 'ok';
  }

  private delivery(line: string, lineNo: number, qid: string, rest: number, emit: Emit): LineOutcome {
    const toEnd = line.indexOf('>', rest + 4);
    const statusAt = toEnd < 0 ? -1 : line.indexOf(', status=', toEnd);
    if (statusAt < 0) return 'malformed';
    const statusStart = statusAt + 9;
    let statusEnd = line.indexOf(' ', statusStart);
    if (statusEnd < 0) statusEnd = line.length;
    const word = line.slice(statusStart, statusEnd);
    const ev = this.evidence(line, lineNo, qid, DELIVERY_STATUS[word] ?? 'other');
    ev.rcpt = line.slice(rest + 4, toEnd);
    const via = this.viaOf(this.prefix.program);
    if (via) ev.via = via;
    let pos = toEnd + 1;
    if (line.startsWith(', orig_to=<', pos)) {
      const origEnd = line.indexOf('>', pos + 11);
      if (origEnd > 0) {
        ev.origRcpt = line.slice(pos + 11, origEnd);
        pos = origEnd + 1;
      }
    }
    const relay = fieldAfter(line, ', relay=', pos);
    if (relay !== undefined && relay !== 'none') ev.relay = relay;
    const dsn = fieldAfter(line, ', dsn=', pos);
    if (dsn !== undefined) ev.dsn = dsn;
    if (line.charCodeAt(statusEnd + 1) === 40 /* ( */) {
      const close = line.charCodeAt(line.length - 1) === 41 ? line.length - 1 : line.length;
      ev.reply = line.slice(statusEnd + 2, close);
      const code = replyCode(ev.reply);
      if (code !== undefined) ev.code = code;
    }
    emit(ev);
    return 'ok';
  }
}

export function createPostfixReader(opts: ReaderOptions): PostfixReader {
  return new PostfixReader(opts);
}
