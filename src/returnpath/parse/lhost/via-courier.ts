import type { Dialect } from './dialect.js';
import { textHas, textIncludes } from './dialect.js';

/** Courier MTA: "NOTICE: mail delivery status." */
export const courier: Dialect = {
  name: 'Courier',
  detect: (m) =>
    /^notice: mail delivery status\./i.test(m.subject.trim()) ||
    textIncludes(m, ['running the courier mail server']) && textHas(m, /this is a delivery status notification from .* running the courier mail server/i),
};
