/**
 * Steward plugins: manifests, discovery, dependency graph, the plugin host and the plugin
 * context (resource ledger).
 * @module steward/plugins
 */

export { parseByteSize } from './byte-size.js';
export type { PluginContext, PluginServices } from './context.js';
export type { ChildGrace, ExecCallback, PluginChildren } from './context-children.js';
export { definePlugin, PluginBase, type PluginDefinition } from './define.js';
export { type DiscoveryOptions, type DiscoveryResult, discoverPlugins } from './discovery.js';
export type { PluginEvents } from './events.js';
export {
  GraphError,
  type GraphErrorKind,
  type PluginGraph,
  planTeardown,
  resolvePluginGraph,
  type TeardownPlan,
  withServiceEdges,
} from './graph.js';
export {
  type HealthOptions,
  type LoopBlockFinding,
  PluginHealth,
  type PluginHealthFigures,
} from './health.js';
export { PluginHost, type PluginHostOptions, type PluginInfo, type StartSummary } from './host.js';
export { PluginFaultError } from './host-containment.js';
export type { PluginHeapSnapshot, PluginThreadProfile } from './host-diagnostics.js';
export { PluginAbandonedError } from './host-teardown.js';
export { PluginSyntaxError, pluginFrame } from './load-error.js';
export {
  consoleSink,
  formatLogLine,
  type LogLevel,
  type LogRecord,
  type LogSink,
  logText,
  type PluginLogger,
} from './logger.js';
export { loadPluginManifest, type PluginIsolation, type PluginManifest } from './manifest.js';
export { type BudgetAction, type PluginBudget, parseDuration } from './manifest-budget.js';
export { ManifestError } from './manifest-errors.js';
export type { PluginPermissions } from './manifest-permissions.js';
export {
  AccessDeniedError,
  type PermissionAccess,
  type PermissionMode,
  type PermissionName,
} from './permissions.js';
export {
  IllegalPluginTransitionError,
  type PluginFailurePhase,
  type PluginState,
} from './plugin-state.js';
export { ChannelClosedError } from './rpc.js';
export { UninspectableThrowError } from './thrown.js';
export { TimeoutError } from './timeout.js';
export {
  flushUnloadVerifications,
  onUnloadVerdict,
  setUnloadVerificationDefault,
  type UnloadFinding,
  type UnloadVerdict,
  type UnloadVerificationOptions,
  unloadVerificationDefault,
} from './unload-verifier.js';
export { PluginUnresponsiveError } from './unresponsive.js';
export type { PluginWatcher, WatchOptions } from './watch.js';
