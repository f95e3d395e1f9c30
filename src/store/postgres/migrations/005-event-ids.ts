// An event is stored once: copying a store in again (rebound migrate, run a second time after an
// interruption) or a retried write adds nothing. Duplicates already there keep their first row.
export const name = 'event-ids';

export const sql = `
DELETE FROM events a USING events b WHERE a.id = b.id AND a.seq > b.seq;
CREATE UNIQUE INDEX events_id ON events (id);
`;
