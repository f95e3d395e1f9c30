import type { Dialect } from './dialect.js';
import { headerHas } from './dialect.js';

/** McAfee Email Gateway. */
export const mcafee: Dialect = {
  name: 'McAfee',
  detect: (m) => headerHas(m, 'x-nai-header', /./) && /delivery status/i.test(m.subject),
};
