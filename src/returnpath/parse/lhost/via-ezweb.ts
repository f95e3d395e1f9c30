import type { Dialect } from './dialect.js';

/** au (KDDI) EZweb mobile mail. */
export const ezweb: Dialect = {
  name: 'EZweb',
  detect: (m) => /@(?:[a-z0-9-]+\.)*ezweb\.ne\.jp/i.test(m.from) && /postmaster|mailer-daemon/i.test(m.from),
};

/** KDDI (au one / dion) notices: "Could not be delivered to:". */
export const kddi: Dialect = {
  name: 'KDDI',
  detect: (m) => /@(?:[a-z0-9-]+\.)*(?:dion\.ne\.jp|auone-net\.jp|kddi\.com)/i.test(m.from) && /could not be delivered to/i.test(m.text.slice(0, 4096)),
};
