import { BoundedMap, DEFAULT_MAX_OPEN_MESSAGES } from '../parse/bounded-map.js';
import { matchReboundId } from '../parse/smtp-reply.js';
import { SyslogPrefix } from '../parse/syslog-prefix.js';
import type { EvidenceStatus, LogEvidence, LogFormat, ReaderOptions } from '../types.js';

/**
 * What the syslog-style readers (Postfix, Sendmail, Exim) share: the file being read, the
 * timestamp prefix parser, and the bounded map of messages still being joined by queue id.
 */
export abstract class JoiningReader<M extends { from?: string; messageId?: string }> {
  abstract readonly format: LogFormat;
  protected file: string;
  protected readonly prefix: SyslogPrefix;
  protected readonly open: BoundedMap<M>;
  protected readonly reboundIdPattern: RegExp | undefined;

  constructor(opts: ReaderOptions) {
    this.file = opts.file;
    this.prefix = new SyslogPrefix((opts.referenceDate ?? new Date()).getTime(), opts.utcOffsetMinutes);
    this.open = new BoundedMap(opts.maxOpenMessages ?? DEFAULT_MAX_OPEN_MESSAGES);
    this.reboundIdPattern = opts.reboundIdPattern;
  }

  private lastHost = '';

  /** The syslog host of the last parsed line; a log names the same host on nearly every line, so the string is reused. */
  private hostOf(line: string): string {
    const { hostStart, hostEnd } = this.prefix;
    const len = hostEnd - hostStart;
    if (len <= 0 || line.length < hostEnd) return '';
    if (len !== this.lastHost.length || !line.startsWith(this.lastHost, hostStart)) this.lastHost = line.slice(hostStart, hostEnd);
    return this.lastHost;
  }

  get openMessages(): number {
    return this.open.size;
  }

  get peakOpenMessages(): number {
    return this.open.peak;
  }

  setFile(file: string): void {
    this.file = file;
  }

  /** Evidence for one line of a message being joined, with its sender and Message-ID as far as seen. */
  protected evidence(line: string, lineNo: number, qid: string, status: EvidenceStatus, timeMs = this.prefix.timeMs): LogEvidence {
    const ev: LogEvidence = { format: this.format, file: this.file, line: lineNo, raw: line, time: new Date(timeMs), queueId: qid, status };
    const host = this.hostOf(line);
    if (host) ev.host = host;
    const msg = this.open.get(qid);
    if (msg) {
      if (msg.messageId !== undefined) ev.messageId = msg.messageId;
      if (msg.from !== undefined) ev.from = msg.from;
    }
    const rid = matchReboundId(this.reboundIdPattern, ev.from, ev.messageId);
    if (rid) ev.reboundQueueId = rid;
    return ev;
  }
}
