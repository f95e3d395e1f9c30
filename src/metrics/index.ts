export { ReboundMetrics, isBounceReport } from './metrics.js';
export type { MetricsDeps, QueueSource } from './metrics.js';
