// Per-destination connection slots shared by every node (store/postgres/destination-slots.ts): a
// row per (destination, slot), held by one node until its lease runs out.
export const name = 'destination-slots';

export const sql = `
CREATE TABLE destination_slots (
  destination text NOT NULL,
  slot        integer NOT NULL,
  node        text,
  lease_until bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (destination, slot)
);
CREATE INDEX destination_slots_node ON destination_slots (node) WHERE node IS NOT NULL;
`;
