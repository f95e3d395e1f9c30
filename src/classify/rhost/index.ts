import type { Reason } from '../types.js';
import { cox } from './cox.js';
import { godaddy } from './godaddy.js';
import { google } from './google.js';
import { kddi } from './kddi.js';
import { microsoft } from './microsoft.js';
import { orange } from './orange.js';
import type { ProviderRule } from './rule.js';
import { spectrum } from './spectrum.js';
import { yahoo } from './yahoo.js';

export type { ProviderRule } from './rule.js';

export const PROVIDERS: readonly ProviderRule[] = [orange, microsoft, google, yahoo, kddi, cox, spectrum, godaddy];

/** The reason a provider's own code or sentence names, if any provider's mark is in the text. */
export function providerReason(text: string, status: string): Reason | undefined {
  for (const p of PROVIDERS) {
    const r = p.reason(text, status);
    if (r) return r;
  }
  return undefined;
}
