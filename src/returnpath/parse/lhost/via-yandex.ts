import type { Dialect } from './dialect.js';
import { headerHas } from './dialect.js';

/** Yandex.Mail (Postfix based, Russian preface). */
export const yandex: Dialect = {
  name: 'Yandex',
  detect: (m) => /mailer-daemon@(?:[a-z0-9-]+\.)*yandex\.(?:ru|com|net)$/i.test(m.from) || headerHas(m, 'x-yandex-front', /./) && /mailer-daemon/i.test(m.from),
};
