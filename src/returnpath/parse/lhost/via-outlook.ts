import type { Dialect } from './dialect.js';
import { headerHas } from './dialect.js';

/** Outlook.com / Hotmail (legacy) postmaster notices. */
export const outlook: Dialect = {
  name: 'Outlook',
  detect: (m) =>
    /postmaster@(mail\.)?(hotmail|outlook|live|msn)\./i.test(m.from) && m.headers['x-ms-exchange-message-is-ndr'] === undefined ||
    headerHas(m, 'x-message-delivery', /./) && headerHas(m, 'x-message-info', /./) ||
    /@mail\.hotmail\./i.test(m.from),
};
