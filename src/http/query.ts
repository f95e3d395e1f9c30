/**
 * A time in a query string: epoch milliseconds, an ISO date/time, or an age counted back from now
 * ("90m", "12h", "7d"). Returns null for something else, so the route can answer 400.
 */
export function parseTime(text: string, now: number): number | null {
  const t = text.trim();
  if (/^\d{10,}$/.test(t)) return Number(t);
  const age = /^(\d+(?:\.\d+)?)(s|m|h|d|w)$/i.exec(t);
  if (age) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[age[2]!.toLowerCase() as 's' | 'm' | 'h' | 'd' | 'w'];
    return now - Number(age[1]) * unit;
  }
  const parsed = Date.parse(t);
  return Number.isNaN(parsed) ? null : parsed;
}

export const TIME_HELP = 'epoch milliseconds, an ISO date/time (2024-05-01T10:00:00Z) or an age (90m, 12h, 7d)';
