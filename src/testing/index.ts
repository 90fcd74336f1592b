/**
 * Steward's test helpers: per-test leak checks for Vitest and node:test, `expectCollected`
 * for "the unloaded plugin must be garbage-collectable" checks, and `expectNoDetachedElements`
 * for "this tab left no detached elements" in a browser driven over the DevTools protocol.
 * @module steward/testing
 */

export { type ExpectCollectedOptions, expectCollected, forceGc } from './collected.js';
export {
  type DetachedElementsOptions,
  type DevToolsSession,
  detachedElements,
  expectNoDetachedElements,
} from './detached.js';
export { expectNoGrowth, type GrowthOptions, type GrowthReport } from './growth.js';
export {
  formatRetainerPath,
  HeapSnapshot,
  type HeapSnapshotJson,
  type RetainerHop,
} from './heap-snapshot.js';
export {
  formatLeaks,
  type Leak,
  type LeakAllowance,
  LeakCheckError,
  LeakChecker,
  type LeakCheckOptions,
  TEST_UNLOAD_VERIFICATION,
} from './leak-check.js';
export { installNodeTestLeakCheck, type NodeTestHookContext, type NodeTestHooks } from './node-test.js';
export { installLeakCheck, type VitestHookContext, type VitestHooks } from './vitest.js';
