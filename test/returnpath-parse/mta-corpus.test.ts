// The parser against real bounces with known truth: DSNs written by real Postfix, Exim and Sendmail
// (and auto-replies from Exim and Dovecot/Pigeonhole)
// (fixtures/mta-corpus, made by `npm run corpus:mta`), each built to fail one way. The truth is the
// construction, not a parser's opinion. Scored per recipient on reason and hard/soft, LF and CRLF;
// a false hard bounce (a soft failure read as hard: the recipient would be flagged invalid) is the
// worst outcome and is listed on its own.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseReport, splitMbox } from '../../src/returnpath/parse/index.js';
import type { BounceRecord } from '../../src/returnpath/parse/index.js';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'mta-corpus');

interface Expected { rcpt: string; status: string; replycode: string; reason: string; hardbounce: boolean }
interface Entry { file: string; kind: string; lhost: string; expected: Expected[]; construction: string; mta: { reporter: string; remote: string | null }; sha256: string }

/**
 * Fixtures the parser gets wrong today, with what it says. The test fails when one of these starts
 * passing (take it off the list) or another one fails (a regression), so the list is always the truth.
 * For the classifier: each note says what the real MTA wrote and why the construction says otherwise.
 */
const KNOWN_FAILURES: Record<string, string> = {
  // Exim says "Unrouteable address" both for a local part no router accepts (here: userunknown)
  // and for a domain DNS does not know (exim-hostunknown-dns: hostunknown). From Exim's own notice
  // the classifier says hostunknown, as for Exim's other routing failures; both are hard, so no
  // flag is wrong, but the reason can only be right for one of them from the text alone (the DNS
  // answer is not in the DSN). Answering RCPT ("550 Unrouteable address") it is userunknown.
  'eml/exim-userunknown-local.eml': 'hostunknown (hard) for Exim\'s own "Unrouteable address" of an unknown local part',
};

// Sisimai's rule, which the corpus labels follow: only these reasons are hard bounces.
const HARD = new Set(['userunknown', 'hostunknown', 'hasmoved', 'notaccept']);

async function parseFile(raw: Buffer): Promise<BounceRecord[]> {
  const out: BounceRecord[] = [];
  for (const one of splitMbox(raw)) out.push(...(await parseReport(one)).results);
  return out;
}

const toCrlf = (raw: Buffer): Buffer => Buffer.from(raw.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');

interface Row { file: string; want: Expected; got: BounceRecord | undefined; reasonOk: boolean; hardOk: boolean; rcptOk: boolean }

async function score(entries: Entry[], crlf: boolean): Promise<Row[]> {
  const rows: Row[] = [];
  for (const e of entries) {
    let raw: Buffer = readFileSync(path.join(dir, e.file));
    if (crlf) raw = toCrlf(raw);
    const got = await parseFile(raw);
    e.expected.forEach((want, i) => {
      const g = got[i];
      rows.push({
        file: e.file, want, got: g,
        reasonOk: g?.reason === want.reason,
        hardOk: g !== undefined && g.hardbounce === want.hardbounce,
        rcptOk: g?.rcpt.toLowerCase() === want.rcpt.toLowerCase(),
      });
    });
    if (got.length > e.expected.length) rows.push({ file: e.file, want: e.expected[0]!, got: got[e.expected.length], reasonOk: false, hardOk: false, rcptOk: false });
  }
  return rows;
}

function table(rows: Row[], label: string): string {
  const pct = (n: number) => `${((100 * n) / rows.length).toFixed(1)} %`;
  const reason = rows.filter((r) => r.reasonOk).length;
  const hard = rows.filter((r) => r.hardOk).length;
  const falseHard = rows.filter((r) => r.got?.hardbounce === true && !r.want.hardbounce);
  const lines = [
    `MTA corpus (${label}): ${rows.length} recipients; reason ${reason}/${rows.length} (${pct(reason)}), hard/soft ${hard}/${rows.length} (${pct(hard)}), false hard ${falseHard.length}`,
    `  ${'file'.padEnd(44)} ${'expected'.padEnd(20)} got`,
    ...rows.map((r) => `  ${r.reasonOk && r.hardOk && r.rcptOk ? ' ' : 'x'} ${r.file.padEnd(42)} ${`${r.want.reason}/${r.want.hardbounce ? 'hard' : 'soft'}`.padEnd(20)} ${r.got ? `${r.got.reason}/${r.got.hardbounce ? 'hard' : 'soft'} ${r.got.status} ${r.got.decodedby}${r.rcptOk ? '' : ` rcpt=${r.got.rcpt}`}` : '(nothing)'}`),
  ];
  return lines.join('\n');
}

describe('real-MTA bounce corpus (fixtures/mta-corpus)', () => {
  const manifestPath = path.join(dir, 'manifest.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Entry[];

  it('is well formed: every file exists, names its recipient, and the labels follow the construction rules', () => {
    expect(manifest.length).toBeGreaterThanOrEqual(20);
    for (const e of manifest) {
      expect(existsSync(path.join(dir, e.file)), e.file).toBe(true);
      const raw = readFileSync(path.join(dir, e.file));
      // The files are what the MTAs sent: a hand edit (to make a test pass) shows here.
      expect(createHash('sha256').update(raw).digest('hex'), `${e.file} changed since npm run corpus:mta wrote it`).toBe(e.sha256);
      const text = raw.toString('latin1');
      expect(e.expected.length, e.file).toBeGreaterThanOrEqual(1);
      for (const x of e.expected) {
        expect(text, e.file).toContain(x.rcpt);
        expect(x.hardbounce, e.file).toBe(HARD.has(x.reason));
      }
      expect(e.mta.reporter, e.file).toMatch(/^(Postfix|Exim|Sendmail|Dovecot) \d+\.\d+/);
      expect(e.construction.length, e.file).toBeGreaterThan(20);
    }
    // Both dialects and the failure kinds the generator promises.
    const lhosts = new Set(manifest.map((e) => e.lhost));
    for (const l of ['Postfix', 'Exim', 'Sendmail']) expect(lhosts, l).toContain(l);
    const reasons = new Set(manifest.flatMap((e) => e.expected.map((x) => x.reason)));
    for (const r of ['userunknown', 'mailboxfull', 'mesgtoobig', 'hostunknown', 'norelaying', 'blocked', 'spamdetected', 'expired', 'delivered', 'vacation']) expect(reasons, r).toContain(r);
    // One DSN listing a hard and a soft failure: a verdict applied to the whole report would flag both.
    expect(manifest.some((e) => e.expected.length > 1 && new Set(e.expected.map((x) => x.hardbounce)).size === 2)).toBe(true);
    for (const f of Object.keys(KNOWN_FAILURES)) expect(manifest.map((e) => e.file), `KNOWN_FAILURES lists ${f}`).toContain(f);
  });

  for (const variant of ['LF', 'CRLF'] as const) {
    it(`scores reason, hard/soft and false hard (${variant}); the failures are exactly the known ones`, async () => {
      const rows = await score(manifest, variant === 'CRLF');
      console.log(table(rows, variant));
      const failing = [...new Set(rows.filter((r) => !(r.reasonOk && r.hardOk && r.rcptOk)).map((r) => r.file))].sort();
      expect(failing).toEqual(Object.keys(KNOWN_FAILURES).sort());
      // Whatever else is wrong, no soft failure outside the known list may be read as hard.
      const falseHard = rows.filter((r) => r.got?.hardbounce === true && !r.want.hardbounce && !(r.file in KNOWN_FAILURES));
      expect(falseHard.map((r) => r.file)).toEqual([]);
    });
  }
});
