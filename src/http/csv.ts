// CSV export of the API's lists (RFC 4180). Cells come from outside text (bounce replies,
// addresses): a cell a spreadsheet would read as a formula gets a leading apostrophe.
import type { FastifyReply } from 'fastify';

/** Most rows one export holds; the list's own filters narrow it further. */
export const MAX_CSV_ROWS = 100_000;

type Cell = string | number | boolean | null | undefined;

export function csvCell(v: Cell): string {
  let s = v === null || v === undefined ? '' : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(header: string[], rows: Cell[][]): string {
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

export function sendCsv(reply: FastifyReply, name: string, header: string[], rows: Cell[][]): FastifyReply {
  return reply
    .type('text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${name}.csv"`)
    .send(toCsv(header, rows));
}

export const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? '' : new Date(ms).toISOString());
