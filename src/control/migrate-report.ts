import type { CopyCount } from '../store/copy-store.js';
import type { MigrationReport } from './migrate-store.js';

export interface MigrationContext {
  dataDir: string;
  /** Shown without its password. */
  url: string;
  configFile: string;
  /** store.engine in that configuration now. */
  engine: 'lowdb' | 'postgres';
  /** The URL came from --url (so the configuration does not name it yet). */
  urlGiven: boolean;
}

const KINDS = ['messages', 'recipients', 'flagged', 'suppressed', 'events', 'queued', 'retained'] as const;

/** Whether this run wrote nothing (everything it read was in the database already). */
export function nothingNew(r: MigrationReport): boolean {
  return KINDS.every((k) => r[k].added === 0);
}

/** What the operator does next, in one paragraph. */
export function nextStep(c: MigrationContext): string {
  const lowdbLeft = `The lowdb files in ${c.dataDir} are left as they were, except that the queued messages moved to PostgreSQL are marked done in its spool ` +
    '(so a lowdb server started on it again would not send them twice).';
  const keep = 'Keep dataDir as it is: it still holds the return-path key, the webhook outbox and the report archive.';
  if (c.engine === 'postgres') return `store.engine is "postgres" in ${c.configFile} already: start Rebound. ${keep} ${lowdbLeft}`;
  const url = c.urlGiven ? `, "postgres": { "url": "..." }` : '';
  const env = c.urlGiven ? ' (or give the URL in REBOUND_PG_URL)' : '';
  return `Next: set "store": { "engine": "postgres"${url} } in ${c.configFile}${env} and start Rebound. ${keep} ${lowdbLeft}`;
}

const n = (x: number) => x.toLocaleString('en-US');
const iso = (t: number) => new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');

function counted(c: CopyCount, verb = 'copied'): string {
  const present = c.read - c.added;
  return `${n(c.added)} ${verb}${present ? `, ${n(present)} already in PostgreSQL (left as they are)` : ''}`;
}

/** The human report `rebound migrate` prints. */
export function formatMigrationReport(r: MigrationReport, c: MigrationContext): string {
  const head = nothingNew(r)
    ? KINDS.some((k) => r[k].read > 0)
      ? `Nothing new to copy: PostgreSQL at ${c.url} holds everything the lowdb store of ${c.dataDir} has.`
      : `The lowdb store of ${c.dataDir} is empty: nothing to copy.`
    : `Copied the lowdb store of ${c.dataDir} into PostgreSQL at ${c.url}:`;
  const span = r.eventSpan ? `; they span ${iso(r.eventSpan.from)} to ${iso(r.eventSpan.to)}` : '';
  return [
    head,
    `  messages:            ${counted(r.messages)}`,
    `  recipients:          ${counted(r.recipients)}`,
    `    flagged invalid:   ${counted(r.flagged)}`,
    `    suppressed:        ${counted(r.suppressed)}`,
    `  events:              ${counted(r.events)}${span}`,
    `  queued messages:     ${counted(r.queued, 'moved with their bodies into the shared queue')}`,
    `  copies for resend:   ${counted(r.retained)}`,
    '',
    nextStep(c),
  ].join('\n');
}
