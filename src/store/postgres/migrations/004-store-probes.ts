// One row per store instance, written by its health probe after a failed write: readiness comes
// back when a real write (a COMMIT through the WAL) works again, not merely a SELECT.
export const name = 'store-probes';

export const sql = `
CREATE TABLE store_probes (
  node text PRIMARY KEY,
  at   bigint NOT NULL
);
`;
