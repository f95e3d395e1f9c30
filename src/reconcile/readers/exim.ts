// Exim mainlog: "2024-01-05 10:00:01[.123] [+0100] [[pid]] ID FLAG ...". Flags: <= arrival, (= arrival
// of a message the client was told was refused (fakereject),
// => delivery, -> additional address in the same delivery, >> cutthrough, ** failure, == deferral,
// "Completed" when the message leaves the queue. Lines forwarded through syslog
// ("Jan  5 10:00:01 host exim[123]: ID => ...") are read too.
import type { Emit, EvidenceStatus, LineOutcome, LineReader, ReaderOptions } from '../types.js';
import { JoiningReader } from './joining-reader.js';
import { findEnhancedCode, leadingReplyCode, stripAngles } from '../parse/smtp-reply.js';
import { fieldsStart, hostField, quotedField, simpleField, splitAddressPart } from '../parse/exim-fields.js';

interface OpenMessage {
  from: string;
  messageId?: string;
}

/** Exim ids: 6-6-2 (classic) or 6-11-4 (4.97+), base-62. */
export function isEximId(line: string, start: number, end: number): boolean {
  const len = end - start;
  if (len !== 16 && len !== 23) return false;
  const d2 = len === 16 ? 13 : 18;
  for (let i = 0; i < len; i++) {
    const c = line.charCodeAt(start + i);
    if (i === 6 || i === d2) {
      if (c !== 45) return false;
    } else if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122))) return false;
  }
  return true;
}

/** Basic code in an Exim error text: "...: 550 5.1.1 ..." or "... 451-..." */
function codeInError(text: string): number | undefined {
  const m = /(?:^|: )([245]\d\d)[ -]/.exec(text);
  return m ? Number(m[1]) : leadingReplyCode(text);
}

export class EximReader extends JoiningReader<OpenMessage> implements LineReader {
  readonly format = 'exim' as const;
  private readonly utcOffsetMinutes: number | undefined;
  private lastStamp = '';
  private lastMs = 0;
  private timeMs = 0;

  constructor(opts: ReaderOptions) {
    super(opts);
    this.utcOffsetMinutes = opts.utcOffsetMinutes;
  }

  readLine(line: string, lineNo: number, emit: Emit): LineOutcome {
    const c0 = line.charCodeAt(0);
    if (c0 === 32 || c0 === 9) return 'ok'; // continuation of a multi-line entry
    let body: number;
    if (c0 >= 48 && c0 <= 57) {
      body = this.nativePrefix(line);
    } else {
      body = this.prefix.parse(line) && this.prefix.program.startsWith('exim') ? this.prefix.bodyStart : -1;
      this.timeMs = this.prefix.timeMs;
    }
    if (body < 0) return 'malformed';
    const idEnd = line.indexOf(' ', body);
    if (idEnd < 0 || !isEximId(line, body, idEnd)) return 'ok'; // connections, rejections, queue runs
    const id = line.slice(body, idEnd);
    const flagAt = idEnd + 1;
    const flag = line.slice(flagAt, flagAt + 3);
    switch (flag) {
      case '<= ':
      case '(= ': // accepted while the client was told it was rejected (control = fakereject)
        return this.arrival(line, lineNo, id, flagAt + 3, emit);
      case '=> ':
      case '-> ':
      case '>> ':
        return this.outcome(line, lineNo, id, flagAt + 3, 'sent', emit);
      case '*> ':
        return this.outcome(line, lineNo, id, flagAt + 3, 'other', emit);
      case '** ':
        return this.outcome(line, lineNo, id, flagAt + 3, 'bounced', emit);
      case '== ':
        return this.outcome(line, lineNo, id, flagAt + 3, 'deferred', emit);
      default:
        if (line.startsWith('Completed', flagAt)) this.open.delete(id);
        return 'ok';
    }
  }

  /** Sets timeMs and returns where the message id starts, or -1. */
  private nativePrefix(line: string): number {
    if (line.length < 20 || line.charCodeAt(4) !== 45 || line.charCodeAt(10) !== 32 || line.charCodeAt(13) !== 58) return -1;
    let i = 19;
    if (line.charCodeAt(i) === 46 /* .millis */) {
      i++;
      while (line.charCodeAt(i) >= 48 && line.charCodeAt(i) <= 57) i++;
    }
    let zoneEnd = i;
    const zc = line.charCodeAt(i + 1);
    if (line.charCodeAt(i) === 32 && (zc === 43 || zc === 45) && line.charCodeAt(i + 6) === 32) zoneEnd = i + 6;
    if (line.charCodeAt(zoneEnd) !== 32) return -1;
    const stamp = line.slice(0, zoneEnd);
    if (stamp !== this.lastStamp) {
      const iso = line.slice(0, 10) + 'T' + line.slice(11, i);
      let ms: number;
      if (zoneEnd > i) {
        const z = line.slice(i + 1, zoneEnd);
        ms = Date.parse(`${iso}${z.slice(0, 3)}:${z.slice(3)}`);
      } else if (this.utcOffsetMinutes === undefined) {
        ms = Date.parse(iso); // no zone: ECMAScript reads date-time forms as local time
      } else {
        ms = Date.parse(iso + 'Z') - this.utcOffsetMinutes * 60_000;
      }
      if (Number.isNaN(ms)) return -1;
      this.lastStamp = stamp;
      this.lastMs = ms;
    }
    this.timeMs = this.lastMs;
    let body = zoneEnd + 1;
    if (line.charCodeAt(body) === 91 /* [pid] */) {
      const close = line.indexOf('] ', body);
      if (close < 0) return -1;
      body = close + 2;
    }
    return body;
  }

  private arrival(line: string, lineNo: number, id: string, at: number, emit: Emit): LineOutcome {
    let senderEnd = line.indexOf(' ', at);
    if (senderEnd < 0) senderEnd = line.length;
    const sender = line.slice(at, senderEnd);
    const from = sender === '<>' ? '' : stripAngles(sender);
    const msg: OpenMessage = { from };
    const idAt = line.indexOf(' id=', senderEnd);
    if (idAt >= 0) {
      let end = line.indexOf(' ', idAt + 4);
      if (end < 0) end = line.length;
      const mid = stripAngles(line.slice(idAt + 4, end));
      if (mid) msg.messageId = mid;
    }
    this.open.set(id, msg);
    emit(this.evidence(line, lineNo, id, 'received', this.timeMs));
    return 'ok';
  }

  private outcome(line: string, lineNo: number, id: string, at: number, status: EvidenceStatus, emit: Emit): LineOutcome {
    const failure = status === 'bounced' || status === 'deferred';
    let fields = fieldsStart(line, at);
    let errorAt = -1;
    if (failure) {
      errorAt = line.indexOf(': ', fields < 0 ? at : fields);
      // "** addr: Unrouteable address" has no fields at all.
      if (fields < 0 || (errorAt >= 0 && errorAt < fields)) fields = errorAt;
    }
    const addrEnd = fields < 0 ? line.length : fields;
    const fieldsEnd = errorAt >= 0 ? errorAt : line.length;
    const { rcpt, orig } = splitAddressPart(line.slice(at, addrEnd));
    if (!rcpt) return 'malformed';
    const reply = failure ? (errorAt >= 0 ? line.slice(errorAt + 2) : undefined) : quotedField(line, ' C="', addrEnd);
    if (status === 'bounced' && reply && reply.includes('retry timeout exceeded')) status = 'expired';
    const ev = this.evidence(line, lineNo, id, status, this.timeMs);
    ev.rcpt = rcpt;
    if (orig) ev.origRcpt = orig;
    let remote = false;
    let transport: string | undefined;
    if (fields >= 0) {
      const relay = hostField(line, fields, fieldsEnd);
      transport = simpleField(line, ' T=', fields, fieldsEnd);
      if (transport?.endsWith(':')) transport = transport.slice(0, -1);
      if (relay) {
        ev.relay = relay;
        remote = true;
      } else if (transport) ev.relay = transport;
    }
    // With H= the smtp transport handed the message to that host; without it a local transport
    // (appendfile, pipe, lmtp over a socket, autoreply) delivered it here. An smtp transport in
    // LMTP mode names its host but still delivers into a mailbox.
    if (status === 'sent') ev.via = remote && !(transport !== undefined && transport.includes('lmtp')) ? 'smtp' : 'mailbox';
    if (reply !== undefined) {
      ev.reply = reply;
      const dsn = findEnhancedCode(reply);
      if (dsn) ev.dsn = dsn;
      const code = failure ? codeInError(reply) : leadingReplyCode(reply);
      if (code !== undefined) ev.code = code;
    }
    emit(ev);
    return 'ok';
  }
}

export function createEximReader(opts: ReaderOptions): EximReader {
  return new EximReader(opts);
}
