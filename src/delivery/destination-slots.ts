/**
 * Connection slots per destination shared by several nodes, so `maxConnectionsPerDestination`
 * holds across the cluster and not only per node. take() returns a slot number or null when every
 * slot is held elsewhere; give() hands it back. One node alone needs none of this (the pool's own
 * count is the limit).
 */
export interface DestinationSlots {
  take(destination: string, max: number): Promise<number | null>;
  give(destination: string, slot: number): void;
}
