/**
 * The one address normalisation: the key every recipient record, index, suppression and lookup
 * uses. The domain is case-insensitive by definition (RFC 5321 2.4); the local part is folded too,
 * as the mailbox providers do, so `Complaint@Sandbox.Test` and `complaint@sandbox.test` are one
 * recipient. The address as written is kept for display and for the RCPT TO sent upstream; only
 * keys and comparisons go through here. Surrounding angle brackets and spaces are dropped.
 */
export function addressKey(address: string): string {
  let a = address.trim();
  if (a.startsWith('<') && a.endsWith('>')) a = a.slice(1, -1).trim();
  return a.toLowerCase();
}

/** Two addresses name the same recipient. */
export function sameAddress(a: string | null | undefined, b: string | null | undefined): boolean {
  return a != null && b != null && (a === b || addressKey(a) === addressKey(b));
}
