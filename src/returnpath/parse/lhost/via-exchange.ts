import type { Draft } from '../types.js';
import type { Dialect } from './dialect.js';
import { headerHas, textIncludes } from './dialect.js';

/** Exchange 2003 and earlier: "Your message did not reach some or all of the intended recipients". */
export const exchange2003: Dialect = {
  name: 'Exchange2003',
  detect: (m) =>
    headerHas(m, 'x-ms-embedded-report', /./) || headerHas(m, 'x-mailer', /internet mail service|microsoft exchange/i) && m.headers['x-ms-exchange-message-is-ndr'] === undefined ||
    textIncludes(m, ['did not reach the following recipient(s)', 'msexch:ims']),
  parse: (m) => {
    // "rcpt on <date>" followed by indented reason lines.
    const after = m.text.slice(0, 32768).split(/did not reach the following recipient\(s\):/i)[1];
    if (!after) return [];
    const out: Draft[] = [];
    let cur: Draft | undefined;
    for (const line of after.split('\n', 200)) {
      const hit = /^\s*<?([^\s<>@]{1,128}@[^\s<>]{1,255}?)>?\s+on\s+\S/.exec(line);
      if (hit) { cur = { rcpt: hit[1]!.toLowerCase(), diagnostic: '' }; out.push(cur); continue; }
      if (cur && /^\s+\S/.test(line)) cur.diagnostic += line.trim() + '\n';
      else if (cur && line.trim()) cur = undefined;
    }
    return out;
  },
};

/** Exchange 2007 and later (on premises): "Undeliverable:", "Diagnostic information for administrators". */
export const exchange2007: Dialect = {
  name: 'Exchange2007',
  detect: (m) =>
    m.headers['x-ms-exchange-message-is-ndr'] !== undefined && !/outlook\.com|onmicrosoft\.com|office365/i.test(m.from) ||
    textIncludes(m, ['diagnostic information for administrators', 'remote server returned \'']),
};
