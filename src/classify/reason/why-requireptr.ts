import { defineRule } from './rule.js';

/** The sending IP has no (or a mismatching) reverse DNS name. */
export const requireptr = defineRule('requireptr', [
  'reverse dns', 'reverse-dns', 'reverse lookup', 'ptr record', 'no ptr', 'ptr lookup', 'rdns',
  'cannot find your hostname', 'cannot find your reverse hostname', 'cannot resolve your address',
  'no reverse', 'ip name lookup failed', 'without reverse', 'have a reverse', 'valid hostname',
  'does not have a valid ptr', 'hostname does not match', 'unresolvable ip', 'client host rejected: cannot find',
  'not resolve your ip', 'reverse address', 'reverse name', 'inverse lookup',
]);
