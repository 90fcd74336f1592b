/**
 * Steward's test helpers: per-test leak checks for Vitest and node:test, and `expectCollected`
 * for "the unloaded plugin must be garbage-collectable" checks.
 * @module steward/testing
 */

export { type ExpectCollectedOptions, expectCollected, forceGc } from './collected.js';
export { formatLeaks, type Leak, LeakCheckError, LeakChecker, type LeakCheckOptions } from './leak-check.js';
export { installNodeTestLeakCheck, type NodeTestHookContext, type NodeTestHooks } from './node-test.js';
export { installLeakCheck, type VitestHookContext, type VitestHooks } from './vitest.js';
