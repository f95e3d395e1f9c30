/** A raw reply split into its parts (a ReplyInput with every field filled). */
export interface ParsedReply { code: number; enhanced: string; text: string }

const ENHANCED = /\b([245])\.(\d{1,3})\.(\d{1,3})\b/;

/**
 * Splits a raw SMTP reply ("550-5.1.1 first line\n550 5.1.1 second") into code, enhanced status
 * and text without the codes.
 */
export function parseReply(raw: string): ParsedReply {
  const lines = raw.split(/\r?\n/).filter((l) => l.length > 0);
  let code = 0;
  let enhanced = '';
  const texts: string[] = [];
  for (const line of lines) {
    const m = /^(\d{3})[ -]?(.*)$/.exec(line);
    let rest = line;
    if (m) {
      if (!code) code = Number(m[1]);
      rest = m[2] ?? '';
    }
    const e = /^([245]\.\d{1,3}\.\d{1,3})\s*(.*)$/.exec(rest);
    if (e) {
      if (!enhanced) enhanced = e[1]!;
      rest = e[2] ?? '';
    }
    texts.push(rest);
  }
  if (!enhanced) {
    const m = ENHANCED.exec(raw);
    if (m && (!code || m[1] === String(code)[0])) enhanced = m[0];
  }
  return { code, enhanced, text: texts.join(' ').trim() };
}
