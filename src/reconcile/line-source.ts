// Lines of a file in constant memory: gunzip when the file starts with the gzip magic bytes
// (whatever its name), honour a UTF-8 or UTF-16LE byte-order mark, split on \n (dropping \r).
// Own splitter rather than node:readline: it yields a chunk's lines as one batch (fewer awaits per
// line), caps line length (one absurd line cannot hold the heap), and switches decoding on the BOM.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { pipeline } from 'node:stream';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

/** Longer lines are cut here and reported as one malformed line. */
export const MAX_LINE_CHARS = 1 << 20;

export interface LineBatch {
  lines: string[];
  /** Lines in this batch that were cut at MAX_LINE_CHARS. */
  oversized: Set<number>;
}

export interface LineSourceEnd {
  /** Why the input stopped early (a truncated gzip file), if it did. */
  truncated?: string;
}

export async function isGzipFile(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await fh.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

function isTruncation(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === 'Z_BUF_ERROR' || code === 'Z_DATA_ERROR';
}

/** Yields batches of lines; `end.truncated` is set if a compressed input stopped early. */
export async function* readLines(file: string, end: LineSourceEnd): AsyncGenerator<LineBatch> {
  // Look at the file first: a stream opened on a missing file would emit an unhandled 'error'.
  const gzip = await isGzipFile(file);
  const raw = createReadStream(file, { highWaterMark: 256 * 1024 });
  let input: Readable = raw;
  if (gzip) {
    const gunzip = createGunzip();
    pipeline(raw, gunzip, () => {
      /* errors surface through iteration of gunzip */
    });
    input = gunzip;
  }
  const splitter = new LineSplitter();
  try {
    try {
      for await (const chunk of input as AsyncIterable<Buffer>) {
        const batch = splitter.push(chunk);
        if (batch) yield batch;
      }
    } catch (err) {
      if (!isTruncation(err)) throw err;
      end.truncated = `${(err as Error).message} (${file})`;
    }
    const last = splitter.end();
    if (last) yield last;
  } finally {
    raw.destroy();
    input.destroy();
  }
}

/**
 * Bytes in, lines out. UTF-8 input is cut at the last newline byte of each chunk (0x0a never
 * occurs inside a multi-byte UTF-8 sequence), so each piece decodes in one native call;
 * UTF-16LE input goes through a StringDecoder.
 */
class LineSplitter {
  private utf16: StringDecoder | undefined;
  private started = false;
  private carryBytes: Buffer = Buffer.alloc(0);
  private carryText = '';
  private dropping = false; // inside an oversized line, discarding until its end

  push(chunk: Buffer): LineBatch | undefined {
    let buf = chunk;
    if (!this.started) {
      this.started = true;
      if (buf[0] === 0xff && buf[1] === 0xfe) {
        this.utf16 = new StringDecoder('utf16le');
        buf = buf.subarray(2);
      } else if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) {
        buf = buf.subarray(3);
      }
    }
    let text: string;
    if (this.utf16) {
      const all = this.carryText + this.utf16.write(buf);
      const nl = all.lastIndexOf('\n');
      if (nl < 0) return this.hold(all.length, () => (this.carryText = all));
      text = all.slice(0, nl);
      this.carryText = all.slice(nl + 1);
    } else {
      const nl = buf.lastIndexOf(0x0a);
      if (nl < 0) return this.hold(this.carryBytes.length + buf.length, () => (this.carryBytes = Buffer.concat([this.carryBytes, buf])));
      const head = this.carryBytes.length > 0 ? Buffer.concat([this.carryBytes, buf.subarray(0, nl)]) : buf.subarray(0, nl);
      text = head.toString('utf8');
      this.carryBytes = Buffer.from(buf.subarray(nl + 1));
    }
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i]!;
      if (l.charCodeAt(l.length - 1) === 13) lines[i] = l.slice(0, -1);
    }
    const oversized = new Set<number>();
    if (this.dropping) {
      lines.shift(); // the tail of the oversized line
      this.dropping = false;
    }
    for (let i = 0; i < lines.length; i++) {
      if (lines[i]!.length > MAX_LINE_CHARS) {
        lines[i] = lines[i]!.slice(0, 200);
        oversized.add(i);
      }
    }
    return lines.length > 0 ? { lines, oversized } : undefined;
  }

  /** A chunk without a newline: keep it, unless the line grew past the cap. */
  private hold(size: number, keep: () => void): LineBatch | undefined {
    if (this.dropping) return undefined;
    if (size <= MAX_LINE_CHARS) {
      keep();
      return undefined;
    }
    const sample = this.utf16 ? this.carryText.slice(0, 200) : this.carryBytes.subarray(0, 200).toString('utf8');
    this.carryBytes = Buffer.alloc(0);
    this.carryText = '';
    this.dropping = true;
    return { lines: [sample], oversized: new Set([0]) };
  }

  end(): LineBatch | undefined {
    const last = this.utf16 ? this.carryText + this.utf16.end() : this.carryBytes.toString('utf8');
    if (last.length === 0 || this.dropping) return undefined;
    return { lines: [stripCr(last)], oversized: new Set() };
  }
}

function stripCr(line: string): string {
  return line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line;
}
