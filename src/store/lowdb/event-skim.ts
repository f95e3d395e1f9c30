/**
 * The three fields start-up needs of an event older than the working set, read off its JSON line
 * without parsing it (parsing a million old lines only to drop them was most of a slow start).
 * Lines are written by JSON.stringify of events built as `{ type, id, time, ... }`: the first
 * `"name":` of a top-level field is the field itself, since inside a JSON string every quote is
 * escaped. Anything unexpected (an integration event's address list, an escape inside a value)
 * answers null: the caller then parses the line.
 */
export interface SkimmedEvent {
  time: number;
  rcpt: string | null;
  queueId: string | null;
}

const UNSURE = Symbol('unsure');

function stringField(line: string, name: string): string | null | typeof UNSURE {
  const key = `"${name}":`;
  const at = line.indexOf(key);
  if (at === -1) return null;
  const v = at + key.length;
  if (line.startsWith('null', v)) return null;
  if (line[v] !== '"') return UNSURE;
  const end = line.indexOf('"', v + 1);
  if (end === -1) return UNSURE;
  const s = line.slice(v + 1, end);
  return s.includes('\\') ? UNSURE : s;
}

export function skimEvent(line: string): SkimmedEvent | null {
  if (!line.startsWith('{"type":"') || line.startsWith('{"type":"integration"')) return null;
  const at = line.indexOf('"time":');
  if (at === -1) return null;
  const time = parseInt(line.slice(at + 7, at + 7 + 20), 10);
  if (!Number.isFinite(time)) return null;
  const rcpt = stringField(line, 'rcpt');
  const queueId = stringField(line, 'queueId');
  if (rcpt === UNSURE || queueId === UNSURE) return null;
  return { time, rcpt, queueId };
}
