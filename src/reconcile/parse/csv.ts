// RFC 4180 CSV, one record at a time. Exchange and Microsoft 365 quote fields that hold commas,
// quotes ("") or line breaks; a record may therefore span several physical lines.

/** Fields of one record, or undefined if its quoting is broken. */
export function parseCsvRecord(text: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  const n = text.length;
  for (;;) {
    if (text.charCodeAt(i) === 34 /* " */) {
      let value = '';
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) return undefined;
        value += text.slice(i, q);
        if (text.charCodeAt(q + 1) === 34) {
          value += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      out.push(value);
      if (i >= n) return out;
      if (text.charCodeAt(i) !== 44 /* , */) return undefined;
      i++;
    } else {
      const comma = text.indexOf(',', i);
      if (comma < 0) {
        out.push(text.slice(i));
        return out;
      }
      out.push(text.slice(i, comma));
      i = comma + 1;
    }
  }
}

function countQuotes(text: string): number {
  let n = 0;
  for (let i = text.indexOf('"'); i >= 0; i = text.indexOf('"', i + 1)) n++;
  return n;
}

/** Joins physical lines into logical CSV records: an odd number of quotes means "continues". */
export class CsvRecordJoiner {
  private pending: string[] = [];
  private pendingQuotes = 0;
  private startLine = 0;

  constructor(
    /** Lines that can only start a record (e.g. a timestamp): one of these ends a broken pending record. */
    private readonly isRecordStart?: (line: string) => boolean,
    private readonly maxLines = 64,
  ) {}

  /** The first line of the record most recently completed. */
  recordLine = 0;
  /** Set when push() abandoned a broken pending record: its first line and text. */
  abandoned: { line: number; text: string } | undefined;

  /** Whatever is still pending (at end of file), as a broken record; clears it. */
  takePending(): { line: number; text: string } | undefined {
    if (this.pending.length === 0) return undefined;
    const broken = { line: this.startLine, text: this.pending.join('\n') };
    this.pending = [];
    return broken;
  }

  /**
   * Feed a line. Returns the complete record text, 'pending' while inside a quoted field, or
   * 'overflow' when a quoted field never closes (the buffered lines are dropped).
   */
  push(line: string, lineNo: number): string | 'pending' | 'overflow' {
    this.abandoned = undefined;
    if (this.pending.length > 0 && this.isRecordStart?.(line)) this.abandoned = this.takePending();
    if (this.pending.length === 0) {
      const q = countQuotes(line);
      if ((q & 1) === 0) {
        this.recordLine = lineNo;
        return line;
      }
      this.pending.push(line);
      this.pendingQuotes = q;
      this.startLine = lineNo;
      return 'pending';
    }
    this.pending.push(line);
    this.pendingQuotes += countQuotes(line);
    if ((this.pendingQuotes & 1) === 0) {
      const text = this.pending.join('\n');
      this.recordLine = this.startLine;
      this.pending = [];
      return text;
    }
    if (this.pending.length >= this.maxLines) {
      this.recordLine = this.startLine;
      this.pending = [];
      return 'overflow';
    }
    return 'pending';
  }
}

/** "Recipient-Address" / "recipient_address" / "RecipientAddress" -> "recipientaddress". */
export function normaliseHeader(name: string): string {
  return name.replace(/^\uFEFF/, '').toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Splits on `sep` outside [..], {..} and (..), so "{LED=550 5.1.1 x; y}" stays whole. */
export function splitOutsideBrackets(text: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '[' || c === '{' || c === '(') depth++;
    else if ((c === ']' || c === '}' || c === ')') && depth > 0) depth--;
    else if (c === sep && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out;
}
