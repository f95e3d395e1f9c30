import type { Dialect } from './dialect.js';
import { headerHas, textHas, textIncludes } from './dialect.js';

/** Microsoft 365 / Exchange Online NDRs. */
export const office365: Dialect = {
  name: 'Office365',
  detect: (m) =>
    m.headers['x-ms-exchange-message-is-ndr'] !== undefined && (/outlook\.com|onmicrosoft\.com/i.test(m.from) || headerHas(m, 'x-ms-exchange-crosstenant-originalarrivaltime', /./) || textHas(m, /protection\.outlook\.com|office 365|microsoft 365/i, 32768)) ||
    textIncludes(m, ['couldn\'t be delivered']) && textHas(m, /your message to .{1,200} couldn't be delivered/i),
};
