/**
 * Vitest setup of the leak-gate bench (`bench/leak-gate.bench.ts`): the gate of
 * `steward/testing` installed on every test of the file, over every ResourceManager a test
 * registers a component in (Steward's sources and the built package alike). It finds what
 * each test left behind and verifies the unloads of its plugin hosts, as a user's setup
 * file would; `ignore` keeps the project's own tests passing (some leave things on purpose),
 * so what is measured is the gate's work, not failures.
 */
import { appendFileSync } from 'node:fs';
import { afterAll, afterEach, beforeEach } from 'vitest';
import { ResourceManager } from '../../src/core/index.js';
import { onUnloadVerdict } from '../../src/plugins/unload-verifier.js';
import { installLeakCheck } from '../../src/testing/index.js';

const seen = new WeakSet<object>();
const live = new Set<WeakRef<ResourceManager>>();

function watch(prototype: { register: (...args: never[]) => unknown }): void {
  const register = prototype.register;
  prototype.register = function (this: ResourceManager, ...args: never[]) {
    if (!seen.has(this)) {
      seen.add(this);
      live.add(new WeakRef(this));
    }
    return register.apply(this, args);
  };
}

watch(ResourceManager.prototype as never);
try {
  const name = 'steward'; // the built package, when there is one (not a type dependency)
  const built = (await import(name)) as { ResourceManager: typeof ResourceManager };
  if (built.ResourceManager !== ResourceManager) watch(built.ResourceManager.prototype as never);
} catch {
  // No built package: the sources' managers are the ones the tests use.
}

function* managers(): Generator<ResourceManager> {
  for (const ref of live) {
    const manager = ref.deref();
    if (manager === undefined) live.delete(ref);
    else if (!manager.disposed) yield manager;
  }
}

const stats = { tests: 0, leaks: 0, verdicts: 0, snapshots: 0 };
beforeEach(() => {
  stats.tests++;
});
onUnloadVerdict((verdict) => {
  stats.verdicts++;
  if (verdict.snapshotMs > 0) stats.snapshots++;
});
const ignore = (): boolean => {
  stats.leaks++;
  return true;
};
installLeakCheck({ managers, beforeEach, afterEach, reclaim: false, ignore });
// What the gate saw, one JSON line per file, for the bench's report.
afterAll(() => {
  const file = process.env.STEWARD_GATE_STATS;
  if (file) appendFileSync(file, `${JSON.stringify(stats)}\n`);
});
