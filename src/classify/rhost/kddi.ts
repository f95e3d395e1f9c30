import type { ProviderRule } from './rule.js';

/**
 * KDDI's au mobile mail (ezweb.ne.jp, au.com) answers "550 <addr>: User unknown" for an address
 * it does not have, without enhanced code or stage; for this provider the words are the verdict.
 */
export const kddi: ProviderRule = {
  name: 'KDDI au',
  reason(text) {
    return /@(?:ezweb\.ne\.jp|au\.com)>?:? user unknown/.test(text) ? 'userunknown' : undefined;
  },
};
