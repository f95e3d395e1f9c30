import type { Dialect } from './dialect.js';
import { textHas, textIncludes } from './dialect.js';

/** An unnamed MTA family (Sisimai's X2): "Unable to deliver message to the following address(es)." */
export const x2: Dialect = {
  name: 'X2',
  detect: (m) => textIncludes(m, ['unable to deliver message to the following address(es).']) && textHas(m, /^unable to deliver message to the following address\(es\)\./im) && !textIncludes(m, ['qmail-send program']),
};

/** Another unnamed MTA (Sisimai's X6): "We had trouble delivering your message. Full details follow:" */
export const x6: Dialect = {
  name: 'X6',
  detect: (m) => textIncludes(m, ['we had trouble delivering your message. full details follow']),
};
