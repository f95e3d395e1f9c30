import type { Dialect } from './dialect.js';

/** Mail.Ru (an Exim derivative with a Russian preface). */
export const mailru: Dialect = {
  name: 'MailRu',
  detect: (m) => /mailer-daemon@(?:[a-z0-9-]+\.)*mail\.ru$/i.test(m.from),
};
