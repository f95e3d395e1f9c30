import { crc32 } from 'node:zlib';

// Spool segments are append-only files of framed records:
//   magic "RBQ1" (4) | type (1) | payload length (4, BE) | CRC-32 of payload (4, BE) | payload
// The CRC lets recovery tell a torn or corrupted record from a good one.
export const MAGIC = Buffer.from('RBQ1', 'latin1');
export const HEADER_BYTES = 13;

export const RecordType = { Message: 1, State: 2, Done: 3 } as const;
export type RecordType = (typeof RecordType)[keyof typeof RecordType];

export function encodeRecord(type: RecordType, payload: Buffer): Buffer {
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt8(type, 4);
  header.writeUInt32BE(payload.length, 5);
  header.writeUInt32BE(crc32(payload), 9);
  return Buffer.concat([header, payload], HEADER_BYTES + payload.length);
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
  payload: Buffer;
}

export interface ScanResult {
  records: ScannedRecord[];
  /** Byte ranges that are not valid records (disk corruption), to be quarantined. */
  corrupt: Array<{ start: number; end: number; why: string }>;
  /** Where a torn final record begins (a write cut short by a crash), if any. */
  tornTailAt: number | null;
}

/** Walks a segment buffer frame by frame; on damage, resynchronises at the next magic. */
export function scanSegment(buf: Buffer): ScanResult {
  const records: ScannedRecord[] = [];
  const corrupt: ScanResult['corrupt'] = [];
  let tornTailAt: number | null = null;
  let pos = 0;
  const damaged = (start: number, why: string): number => {
    const next = buf.indexOf(MAGIC, start + 1);
    if (next === -1) {
      tornTailAt = start;
      return buf.length;
    }
    corrupt.push({ start, end: next, why });
    return next;
  };
  while (pos < buf.length) {
    if (buf.length - pos < HEADER_BYTES) {
      tornTailAt = pos;
      break;
    }
    if (buf.compare(MAGIC, 0, 4, pos, pos + 4) !== 0) {
      pos = damaged(pos, 'bad record marker');
      continue;
    }
    const type = buf.readUInt8(pos + 4);
    const len = buf.readUInt32BE(pos + 5);
    const crc = buf.readUInt32BE(pos + 9);
    const end = pos + HEADER_BYTES + len;
    if (type < 1 || type > 3) {
      pos = damaged(pos, `unknown record type ${type}`);
      continue;
    }
    if (end > buf.length) {
      // Either the last write was cut short, or the length field is damaged.
      pos = damaged(pos, 'record runs past end of segment');
      continue;
    }
    const payload = buf.subarray(pos + HEADER_BYTES, end);
    if (crc32(payload) !== crc) {
      pos = damaged(pos, 'checksum mismatch');
      continue;
    }
    records.push({ type: type as RecordType, offset: pos, payload });
    pos = end;
  }
  return { records, corrupt, tornTailAt };
}
