// Small helpers for the reply text MTAs log after a delivery attempt.

/** Enhanced status code (RFC 3463) anywhere in the text, e.g. "550 5.1.1 <x>: ..." -> "5.1.1". */
export function findEnhancedCode(text: string): string | undefined {
  const m = /(?:^|[^\d.])([245]\.\d{1,3}\.\d{1,3})(?![\d.])/.exec(text);
  return m ? m[1] : undefined;
}

/** The basic reply code when the text starts with one ("250 ...", "550-..."). */
export function leadingReplyCode(text: string): number | undefined {
  if (text.length < 3) return undefined;
  const a = text.charCodeAt(0) - 48;
  const b = text.charCodeAt(1) - 48;
  const c = text.charCodeAt(2) - 48;
  if (a < 2 || a > 5 || b < 0 || b > 9 || c < 0 || c > 9) return undefined;
  if (text.length > 3 && text[3] !== ' ' && text[3] !== '-') return undefined;
  return a * 100 + b * 10 + c;
}

/** "<a@b>" -> "a@b"; leaves other text alone. */
export function stripAngles(value: string): string {
  const v = value.trim();
  return v.length >= 2 && v.startsWith('<') && v.endsWith('>') ? v.slice(1, -1) : v;
}

/** First capture group of `pattern` in the sender, then in the Message-ID. */
export function matchReboundId(pattern: RegExp | undefined, from?: string, messageId?: string): string | undefined {
  if (!pattern) return undefined;
  for (const text of [from, messageId]) {
    if (!text) continue;
    const m = pattern.exec(text);
    if (m && m[1]) return m[1];
  }
  return undefined;
}

/**
 * Ids the next hop gave the message when it accepted it: Postfix "queued as X", Exim "id=X",
 * sendmail "X Message accepted for delivery".
 */
export function nextHopIds(reply: string | null | undefined): string[] {
  if (!reply) return [];
  const out: string[] = [];
  const re = /\bqueued as ([0-9A-Za-z]{5,20})\b|\b[Ii][Dd]=([0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4})\b|\b([0-9A-Za-z]{8,20}) Message accepted\b/g;
  for (let m = re.exec(reply); m; m = re.exec(reply)) out.push((m[1] ?? m[2] ?? m[3])!);
  return out;
}
