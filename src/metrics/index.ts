export { ReboundMetrics } from './metrics.js';
export type { MetricsDeps, QueueSource } from './metrics.js';
