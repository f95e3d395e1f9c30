// Syslog's traditional timestamp ("Jan  5 10:00:01") has no year. We anchor the first timestamp
// to a reference date near the end of the log and then follow the file forward, so a Dec -> Jan
// step bumps the year instead of jumping back eleven months.

const DAY = 86_400_000;
/** A first timestamp this far after the reference still counts as the reference's year (clock skew, late rotation). */
const FUTURE_SLACK = 7 * DAY;
/** Consecutive timestamps further apart than this mean the year changed. */
const ROLLOVER_GAP = 180 * DAY;

export class YearInference {
  private year: number | undefined;
  private lastMs = 0;

  constructor(
    private readonly referenceMs: number,
    /** Offset from UTC in minutes, or undefined for this machine's local zone. */
    private readonly utcOffsetMinutes: number | undefined,
  ) {}

  /** Epoch ms of month (0-11), day, time in the inferred year. */
  resolve(month: number, day: number, h: number, m: number, s: number, ms: number): number {
    if (this.year === undefined) {
      const refYear = this.yearOf(this.referenceMs);
      let year = refYear + 1;
      while (this.at(year, month, day, h, m, s, ms) > this.referenceMs + FUTURE_SLACK) year--;
      this.year = year;
    }
    let t = this.at(this.year, month, day, h, m, s, ms);
    if (this.lastMs !== 0) {
      if (t < this.lastMs - ROLLOVER_GAP) t = this.at(++this.year, month, day, h, m, s, ms);
      else if (t > this.lastMs + ROLLOVER_GAP) t = this.at(--this.year, month, day, h, m, s, ms);
    }
    this.lastMs = t;
    return t;
  }

  private yearOf(ms: number): number {
    if (this.utcOffsetMinutes === undefined) return new Date(ms).getFullYear();
    return new Date(ms + this.utcOffsetMinutes * 60_000).getUTCFullYear();
  }

  private at(year: number, month: number, day: number, h: number, m: number, s: number, ms: number): number {
    if (this.utcOffsetMinutes === undefined) return new Date(year, month, day, h, m, s, ms).getTime();
    return Date.UTC(year, month, day, h, m, s, ms) - this.utcOffsetMinutes * 60_000;
  }
}
