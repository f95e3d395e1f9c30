import type { Dialect } from './dialect.js';
import { headerHas } from './dialect.js';

/** SurfControl (Websense) e-mail filter. */
export const surfcontrol: Dialect = {
  name: 'SurfControl',
  detect: (m) => headerHas(m, 'x-sef-processed', /./) || headerHas(m, 'x-mailer', /surfcontrol/i),
};
