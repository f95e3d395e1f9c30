// The syslog line prefix shared by Postfix and sendmail: "<time> <host> <program>[pid]: <message>",
// where <time> is either traditional ("Jan  5 10:00:01") or RFC 3339 ("2024-01-05T10:00:01.123456+00:00").
// Parsing is by character position and indexOf, not regex: this runs on every line of large logs.
import { YearInference } from './year-inference.js';

const MONTHS: Record<string, number> = {
  Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11,
};

const SPACE = 32;
const COLON = 58;

function digit(line: string, i: number): number {
  const c = line.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1;
}

function twoDigits(line: string, i: number): number {
  const a = digit(line, i);
  const b = digit(line, i + 1);
  return a < 0 || b < 0 ? -1 : a * 10 + b;
}

/**
 * A reusable parser: `parse(line)` fills the public fields and returns true, or returns false
 * when the line has no syslog prefix. One instance per file set keeps the year state.
 */
export class SyslogPrefix {
  /** Epoch ms of the line's timestamp. */
  timeMs = 0;
  /** Program name without the [pid], e.g. "postfix/smtp" or "sendmail". */
  program = '';
  /** Index where the message after "program[pid]: " starts. */
  bodyStart = 0;
  /** Where the host field is in the last parsed line (sliced only when a record needs it). */
  hostStart = 0;
  hostEnd = 0;

  private readonly years: YearInference;
  private lastStamp = '';
  private lastStampMs = 0;

  constructor(referenceMs: number, utcOffsetMinutes: number | undefined) {
    this.years = new YearInference(referenceMs, utcOffsetMinutes);
  }

  parse(line: string): boolean {
    const stampEnd = this.parseTime(line);
    if (stampEnd < 0) return false;
    const hostEnd = line.indexOf(' ', stampEnd + 1);
    if (hostEnd < 0) return false;
    const colon = line.indexOf(': ', hostEnd + 1);
    if (colon < 0) return false;
    const bracket = line.indexOf('[', hostEnd + 1);
    const programEnd = bracket > 0 && bracket < colon ? bracket : colon;
    if (programEnd === hostEnd + 1) return false;
    this.program = line.slice(hostEnd + 1, programEnd);
    if (this.program.indexOf(' ') >= 0) return false;
    this.bodyStart = colon + 2;
    this.hostStart = stampEnd + 1;
    this.hostEnd = hostEnd;
    return true;
  }

  /** Sets timeMs; returns the index of the space after the timestamp, or -1. */
  private parseTime(line: string): number {
    // Consecutive lines usually share a timestamp: reuse the last one.
    const last = this.lastStamp;
    if (last.length > 0 && line.charCodeAt(last.length) === SPACE && line.startsWith(last)) {
      this.timeMs = this.lastStampMs;
      return last.length;
    }
    const first = line.charCodeAt(0);
    const end = first >= 48 && first <= 57 ? this.parseRfc3339(line) : this.parseTraditional(line);
    if (end > 0) {
      this.lastStamp = line.slice(0, end);
      this.lastStampMs = this.timeMs;
    }
    return end;
  }

  private parseRfc3339(line: string): number {
    const end = line.indexOf(' ');
    if (end < 19 || line.charCodeAt(10) !== 84 /* T */) return -1;
    const ms = Date.parse(line.slice(0, end));
    if (Number.isNaN(ms)) return -1;
    this.timeMs = ms;
    return end;
  }

  private parseTraditional(line: string): number {
    const month = MONTHS[line.slice(0, 3)];
    if (month === undefined || line.charCodeAt(3) !== SPACE) return -1;
    let i = 4;
    if (line.charCodeAt(i) === SPACE) i++;
    let day = digit(line, i);
    if (day < 0) return -1;
    i++;
    const d2 = digit(line, i);
    if (d2 >= 0) {
      day = day * 10 + d2;
      i++;
    }
    if (line.charCodeAt(i) !== SPACE) return -1;
    i++;
    const h = twoDigits(line, i);
    const m = twoDigits(line, i + 3);
    const s = twoDigits(line, i + 6);
    if (h < 0 || m < 0 || s < 0 || line.charCodeAt(i + 2) !== COLON || line.charCodeAt(i + 5) !== COLON) return -1;
    i += 8;
    let ms = 0;
    if (line.charCodeAt(i) === 46 /* . */) {
      // High-precision syslog: keep milliseconds, ignore the rest.
      let scale = 100;
      i++;
      for (let c = digit(line, i); c >= 0; c = digit(line, ++i)) {
        ms += c * scale;
        scale /= 10;
      }
      ms = Math.floor(ms);
    }
    if (line.charCodeAt(i) !== SPACE || day < 1 || day > 31 || h > 23 || m > 59 || s > 60) return -1;
    this.timeMs = this.years.resolve(month, day, h, m, s, ms);
    return i;
  }
}
