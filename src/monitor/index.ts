/**
 * Steward monitor: a loopback HTTP server guarded by a token, with a live dashboard, a JSON API,
 * a Server-Sent Events stream and Prometheus `/metrics`. See docs/monitor.md.
 * @module steward/monitor
 */

export type { ApiContext, CleanupResponse, ResourcesResponse, SnapshotResponse } from './api.js';
export { generateToken, tokenMatches } from './auth.js';
export { EDGE_DEFAULTS, type EdgeOptions } from './edge.js';
export type { MonitorEvent } from './events.js';
export { type Readiness, type ReadinessOptions, readiness } from './health.js';
export type { HistoryOptions, MemorySample, MemorySeries } from './history.js';
export { pluginHostControl } from './host-control.js';
export type { LeakFindingJson } from './leaks.js';
export { type MetricsOptions, MonitorMetrics, OTHER } from './metrics.js';
export type {
  PluginChangeEvent,
  PluginControl,
  PluginHealth,
  PluginHeap,
  PluginHeapSummary,
  PluginInfo,
  PluginProfile,
} from './plugin-control.js';
export type { ProcessSample, ProcessStats } from './process-stats.js';
export type { ReportJson } from './serialize.js';
export {
  type EventStreamOptions,
  type MonitorOptions,
  MonitorServer,
  startMonitor,
  stopMonitor,
} from './server.js';
export { startTelemetry, TELEMETRY_PACKAGES, type Telemetry, type TelemetryOptions } from './telemetry.js';
