// Connection slots per destination, shared by the nodes (store/postgres/destination-slots.ts): a
// row is held by a node until lease_until (the database's clock, epoch ms); free rows have no node.
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
