import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

// A spool segment (format 2) is a file header, then append-only framed records:
//   file header: "RBQ2" (4) | marker (8, random per segment) | CRC-32 of those 12 bytes (4)
//   record:      marker (8) | type (1) | payload length (4, BE) | CRC-32 of payload (4, BE)
//                | CRC-32 of the 17 header bytes before it (4, BE) | payload
// Message bodies are data a stranger wrote, and may hold bytes that look like a record. Recovery
// therefore only reads a record where the writer put one: at the end of the previous record whose
// header checked out, or, past a damaged header, at the next copy of this segment's marker. The
// marker is random, never leaves the (0600) segment file, so a message cannot contain it.
export const FILE_MAGIC = Buffer.from('RBQ2', 'latin1');
export const MARKER_BYTES = 8;
export const FILE_HEADER_BYTES = 16;
export const HEADER_BYTES = 21;
/** Format 1 (before the marker): "RBQ1" | type | length | CRC of payload, no header checksum. */
const LEGACY_MAGIC = Buffer.from('RBQ1', 'latin1');
const LEGACY_HEADER_BYTES = 13;

export const RecordType = { Message: 1, State: 2, Done: 3 } as const;
export type RecordType = (typeof RecordType)[keyof typeof RecordType];

export function newMarker(): Buffer {
  return randomBytes(MARKER_BYTES);
}

export function encodeFileHeader(marker: Buffer): Buffer {
  const h = Buffer.allocUnsafe(FILE_HEADER_BYTES);
  FILE_MAGIC.copy(h, 0);
  marker.copy(h, 4);
  h.writeUInt32BE(crc32(h.subarray(0, 12)), 12);
  return h;
}

export function encodeRecord(marker: Buffer, type: RecordType, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  marker.copy(out, 0);
  out.writeUInt8(type, 8);
  out.writeUInt32BE(payload.length, 9);
  out.writeUInt32BE(crc32(payload), 13);
  out.writeUInt32BE(crc32(out.subarray(0, 17)), 17);
  payload.copy(out, HEADER_BYTES);
  return out;
}

/** A Message record's payload: a JSON envelope, then the raw message bytes. */
export function encodeMessagePayload(meta: object, raw: Buffer): Buffer {
  const json = Buffer.from(JSON.stringify(meta), 'utf8');
  const len = Buffer.allocUnsafe(4);
  len.writeUInt32BE(json.length, 0);
  return Buffer.concat([len, json, raw], 4 + json.length + raw.length);
}

export function decodeMessagePayload(payload: Buffer): { meta: unknown; rawStart: number } {
  if (payload.length < 4) throw new Error('message record too short');
  const len = payload.readUInt32BE(0);
  if (4 + len > payload.length) throw new Error('message record envelope length out of range');
  return { meta: JSON.parse(payload.subarray(4, 4 + len).toString('utf8')), rawStart: 4 + len };
}

export interface ScannedRecord {
  type: RecordType;
  /** Offset of the record's header in the segment. */
  offset: number;
  /** Bytes from `offset` to the payload. */
  headerBytes: number;
  payload: Buffer;
}

export interface ScanResult {
  records: ScannedRecord[];
  /** Byte ranges that are not valid records (disk corruption), to be quarantined. */
  corrupt: Array<{ start: number; end: number; why: string }>;
  /** Where a torn final record begins (a write cut short by a crash), if any. */
  tornTailAt: number | null;
}

function isRecordType(t: number): t is RecordType {
  return t >= 1 && t <= 3;
}

/** Reads a segment of either format. */
export function scanSegment(buf: Buffer): ScanResult {
  if (buf.length >= 4 && buf.compare(LEGACY_MAGIC, 0, 4, 0, 4) === 0) return scanLegacy(buf);
  if (buf.length < FILE_HEADER_BYTES) {
    // Created, then the crash came before its header was written: nothing in it was acknowledged.
    return { records: [], corrupt: [], tornTailAt: 0 };
  }
  if (buf.compare(FILE_MAGIC, 0, 4, 0, 4) !== 0 || crc32(buf.subarray(0, 12)) !== buf.readUInt32BE(12)) {
    // Without the marker no record can be told from data: keep every byte for an operator.
    return { records: [], corrupt: [{ start: 0, end: buf.length, why: 'damaged segment header' }], tornTailAt: null };
  }
  const marker = buf.subarray(4, 4 + MARKER_BYTES);
  const headerOk = (at: number): boolean =>
    at + HEADER_BYTES <= buf.length && buf.compare(marker, 0, MARKER_BYTES, at, at + MARKER_BYTES) === 0
    && crc32(buf.subarray(at, at + 17)) === buf.readUInt32BE(at + 17);
  const records: ScannedRecord[] = [];
  const corrupt: ScanResult['corrupt'] = [];
  let pos = FILE_HEADER_BYTES;
  while (pos < buf.length) {
    if (!headerOk(pos)) {
      // A damaged header: its length cannot be trusted, so resume at the next header the writer made.
      let next = buf.indexOf(marker, pos + 1);
      while (next !== -1 && !headerOk(next)) next = buf.indexOf(marker, next + 1);
      if (next === -1) return { records, corrupt, tornTailAt: pos };
      corrupt.push({ start: pos, end: next, why: 'damaged record header' });
      pos = next;
      continue;
    }
    const type = buf.readUInt8(pos + 8);
    const end = pos + HEADER_BYTES + buf.readUInt32BE(pos + 9);
    // The header is good, so a record running past the end is the write a crash cut short:
    // nothing after it was ever written, and its payload is never searched for records.
    if (end > buf.length) return { records, corrupt, tornTailAt: pos };
    const payload = buf.subarray(pos + HEADER_BYTES, end);
    if (!isRecordType(type)) corrupt.push({ start: pos, end, why: `unknown record type ${type}` });
    else if (crc32(payload) !== buf.readUInt32BE(pos + 13)) corrupt.push({ start: pos, end, why: 'checksum mismatch' });
    else records.push({ type, offset: pos, headerBytes: HEADER_BYTES, payload });
    pos = end;
  }
  return { records, corrupt, tornTailAt: null };
}

/**
 * Format 1 has no header checksum and no marker, so after the first damage nothing can be
 * located safely: the rest is quarantined whole (or dropped, when it is a torn last write).
 */
function scanLegacy(buf: Buffer): ScanResult {
  const records: ScannedRecord[] = [];
  let pos = 0;
  while (pos < buf.length) {
    if (buf.length - pos < LEGACY_HEADER_BYTES) return { records, corrupt: [], tornTailAt: pos };
    const type = buf.readUInt8(pos + 4);
    const end = pos + LEGACY_HEADER_BYTES + buf.readUInt32BE(pos + 5);
    const framed = buf.compare(LEGACY_MAGIC, 0, 4, pos, pos + 4) === 0 && isRecordType(type);
    if (framed && end > buf.length) return { records, corrupt: [], tornTailAt: pos };
    const payload = buf.subarray(pos + LEGACY_HEADER_BYTES, end);
    if (!framed || crc32(payload) !== buf.readUInt32BE(pos + 9)) {
      return { records, corrupt: [{ start: pos, end: buf.length, why: 'damaged record (format 1: the rest of the segment)' }], tornTailAt: null };
    }
    records.push({ type, offset: pos, headerBytes: LEGACY_HEADER_BYTES, payload });
    pos = end;
  }
  return { records, corrupt: [], tornTailAt: null };
}
