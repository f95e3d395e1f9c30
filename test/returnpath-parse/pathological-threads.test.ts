// Outside text with huge runs of blank lines must be parsed in linear time, on the real parser
// threads and within their default time limit: a DragonFly bounce
// with 200,000 blank lines (400 KB) took 19 s in the DragonFly dialect (`/\n\s*message headers
// follow\./` tries every blank line as a start and runs over all the rest), so on the real parser
// threads it hit returnPath.parseTimeoutMs (default 3 s) and was recorded unparsed, flagging
// nobody. It must come back parsed, with its recipient and reason, well inside that default.
import { describe, expect, it } from 'vitest';
import { ParsePool } from '../../src/returnpath/parse-pool.js';
import { silentLogger } from '../../src/util/logger.js';
import { requireBuild } from '../helpers/child.js';

const DEFAULT_PARSE_TIMEOUT_MS = 3_000;

const dragonfly = (blank: string, trailer: string) => Buffer.from(
  'From: MAILER-DAEMON@mx.example.net\r\nTo: <b+x@bounces.example.com>\r\nSubject: Mail delivery failed\r\nMessage-ID: <df@mx.example.net>\r\n\r\n' +
  'This is the DragonFly Mail Agent v0.13 at mx.example.net.\r\n\r\nThere was an error delivering your mail to <Some.One@Example.ORG>.\r\n' +
  'mx.example.org [203.0.113.5] said: 550 5.1.1 user unknown\r\n' + blank + trailer, 'latin1');

describe('pathological reports on the real parser threads', () => {
  it.each([
    ['CRLF blank lines, no original', '\r\n'.repeat(200_000), 'end\r\n'],
    ['LF blank lines, then the original', '\n'.repeat(200_000), 'Message headers follow.\r\n\r\nSubject: hi\r\n'],
    ['lines of spaces', ' \r\n'.repeat(150_000), 'end\r\n'],
  ])('a DragonFly bounce with %s is parsed, not timed out', { timeout: 30_000 }, async (_name, blank, trailer) => {
    requireBuild();
    const pool = new ParsePool(1, DEFAULT_PARSE_TIMEOUT_MS, silentLogger());
    try {
      const raw = dragonfly(blank, trailer);
      expect(raw.length).toBeGreaterThan(200_000);
      const r = await pool.parse(raw);
      expect(r.unparsedWhy ?? null).toBeNull();
      expect(r.parsed.results.map((x) => [x.rcpt, x.reason])).toEqual([['some.one@example.org', 'userunknown']]);
    } finally {
      await pool.close();
    }
  });
});
