import type { ProviderRule } from './rule.js';

/**
 * Yahoo (and AOL, same platform): "554 delivery error: dd This user doesn't have a yahoo.com
 * account" is its documented answer for a non-existent mailbox, whatever stage it comes at;
 * bracketed references [BL21]-[BL23] are its block-list refusals.
 */
export const yahoo: ProviderRule = {
  name: 'Yahoo',
  reason(text) {
    if (/this user doesn't have an? [^ ]{1,80} account/.test(text)) return 'userunknown';
    if (/\[bl2[1-3]\]/.test(text)) return 'blocked';
    return undefined;
  },
};
