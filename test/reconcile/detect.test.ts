import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { fixture } from './helpers.js';
import { detectFormat, type LogFormat } from '../../src/reconcile/index.js';

const cases: [string, LogFormat][] = [
  ['postfix-local-delivery.txt', 'postfix'],
  ['postfix-deferred-with-dovecot.txt', 'postfix'],
  ['exim-mainlog-local-and-remote.txt', 'exim'],
  ['exim-mainlog-failures.txt', 'exim'],
  ['sendmail-user-unknown.txt', 'sendmail'],
  ['sendmail-mpeix-relay.txt', 'sendmail'],
  ['exchange-msgtrk.txt', 'exchange'],
  ['m365-trace-summary.csv', 'm365'],
  ['rebound-pino.jsonl', 'rebound'],
];

describe('detectFormat', () => {
  it.each(cases)('%s is %s', async (name, format) => {
    const lines = (await readFile(fixture(name), 'utf8')).split(/\r?\n/);
    expect(detectFormat(lines)).toBe(format);
  });

  it('recognises the extended M365 header, RFC 3339 postfix lines and syslog-forwarded exim', () => {
    expect(detectFormat(['"origin_timestamp_utc","sender_address","Recipient_status","message_subject"'])).toBe('m365');
    expect(detectFormat(['', '2024-01-05T10:00:01.123456+00:00 mx postfix/smtp[1]: 4BcDf9Gh1Jk: to=<a@b>, status=sent (ok)'])).toBe('postfix');
    expect(detectFormat(['Aug 15 18:14:12 web07 exim[18841]: 1dhQ7c-0002aK-Rw => a@b R=x T=y'])).toBe('exim');
  });

  it('returns undefined for text that is no mail log', () => {
    expect(detectFormat(['hello world', 'Jan  1 00:00:00 host kernel: booting'])).toBeUndefined();
    expect(detectFormat([])).toBeUndefined();
  });
});
