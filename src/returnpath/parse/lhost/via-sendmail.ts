import type { Draft } from '../types.js';
import type { Dialect } from './dialect.js';
import { textHas, textIncludes } from './dialect.js';

/** Sendmail DSNs: "Returned mail: see transcript for details", "Postmaster notify". */
export const sendmail: Dialect = {
  name: 'Sendmail',
  detect: (m) =>
    /^(returned mail: |warning: could not send message|postmaster notify: )/i.test(m.subject.trim()) ||
    textIncludes(m, ['the following addresses had permanent fatal errors', 'the following addresses had transient non-fatal errors', 'transcript of session follows']) &&
    textHas(m, /-{3,} the following addresses had (permanent fatal|transient non-fatal) errors -{3,}|-{3,} transcript of session follows -{3,}/i),
};

/** Old Sendmail (V5) bounces: transcript and "Unsent message follows" without a DSN. */
export const v5sendmail: Dialect = {
  name: 'V5sendmail',
  detect: (m) =>
    textIncludes(m, ['unsent message follows']) && textHas(m, /-{3,} unsent message follows -{3,}/i) && textHas(m, /-{3,} transcript of session follows -{3,}/i) &&
    !m.attachments.some((a) => a.contentType.includes('delivery-status')) && !/^(final-recipient|reporting-mta):/im.test(m.text),
  parse: (m) => {
    // Transcript: ">>> COMMAND", "<<< reply", then "NNN <rcpt>... summary".
    const text = (m.text.slice(0, 32768).split(/-{3,} unsent message follows/i)[0] ?? '');
    const lines = text.split('\n');
    const out: Draft[] = [];
    let command: string | undefined;
    let reply: string | undefined;
    for (const line of lines) {
      const sent = /^\s*>>>\s*([a-z]{4})/i.exec(line);
      if (sent) { command = sent[1]!.toUpperCase(); reply = undefined; continue; }
      const got = /^\s*<<<\s*(.+)$/.exec(line);
      if (got) { reply = got[1]!.trim(); continue; }
      const rc = /^\s*([45]\d\d)\s+<?([^\s<>@]{1,128}@[^\s<>]{1,255}?)>?\.\.\.\s*(.*)$/.exec(line);
      if (rc && !out.some((d) => d.rcpt === rc[2]!.toLowerCase())) {
        const d: Draft = { rcpt: rc[2]!.toLowerCase(), diagnostic: reply ?? `${rc[1]} ${rc[3]}` };
        if (reply && command) d.command = command === 'MAIL' || command === 'RCPT' || command === 'DATA' ? command : 'CONN';
        out.push(d);
      }
    }
    return out;
  },
};
