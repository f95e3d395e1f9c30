import type { Reason } from '../types.js';

/**
 * A receiving provider's own error vocabulary: codes or sentences it documents for its
 * rejections, which say more than the generic RFC 3463 status they come with. `reason`
 * returns undefined when the text carries none of this provider's marks.
 */
export interface ProviderRule {
  readonly name: string;
  /** Normalised (lower-case, collapsed) text and the enhanced status. */
  reason(text: string, status: string): Reason | undefined;
}
