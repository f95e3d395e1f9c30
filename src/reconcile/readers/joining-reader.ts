import { BoundedMap, DEFAULT_MAX_OPEN_MESSAGES } from '../parse/bounded-map.js';
import { SyslogPrefix } from '../parse/syslog-prefix.js';
import type { ReaderOptions } from '../types.js';

/**
 * What the syslog-style readers (Postfix, Sendmail, Exim) share: the file being read, the
 * timestamp prefix parser, and the bounded map of messages still being joined by queue id.
 */
export abstract class JoiningReader<M> {
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

  get openMessages(): number {
    return this.open.size;
  }

  get peakOpenMessages(): number {
    return this.open.peak;
  }

  setFile(file: string): void {
    this.file = file;
  }
}
