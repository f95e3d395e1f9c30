// An MTA fetched from Debian packages into the cache (Exim, Sendmail): the binary, downloaded the
// first time, or the reason it cannot be had, for `describe.skipIf` / `it.skipIf`.
export async function prepareUnpacked<T>(what: string, unavailable: () => string | null, ensure: (log: (s: string) => void) => Promise<T>): Promise<{ bin: T | null; skip: string | null }> {
  const why = unavailable();
  if (why) return { bin: null, skip: why };
  try {
    return { bin: await ensure(() => {}), skip: null };
  } catch (err) {
    return { bin: null, skip: `${what} could not be fetched: ${(err as Error).message.split('\n')[0]}` };
  }
}
