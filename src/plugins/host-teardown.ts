/**
 * Teardown that never stops half-way: deactivating many plugins at once, as the host's
 * `dispose()` (shutdown), `deactivate(id)` and `unload(id)` do.
 *
 * - Dependents go before their dependencies, as always; plugins with no dependency path
 *   between them deactivate concurrently, so a slow one delays only the plugins it depends on.
 * - Under a deadline, each plugin gets a slot when it starts: what is left of the deadline,
 *   shared with the chain of plugins that must still deactivate after it (its dependencies in
 *   the set) — `left / (1 + longest chain below it)`. A plugin whose `deactivate` is still
 *   running at the end of its slot is abandoned (host-lifecycle.ts): reported, its component
 *   force-cleaned, its worker ended; the plugins waiting for it go on.
 * - One plugin's failure never stops the others: every step runs, then the first unexpected
 *   error (a bug of the host, not a plugin's failure) is rethrown.
 */
import { StewardError } from '../core/index.js';
import type { PluginGraph } from './graph.js';

/** Deactivate one plugin, done by the end of `slotEndsAt` (performance.now() time) if given. */
export type TeardownStep = (id: string, slotEndsAt: number | undefined) => Promise<void>;

function within(graph: PluginGraph, id: string, direction: 'dependents' | 'dependencies', set: Set<string>) {
  try {
    return graph[direction](id).filter((other) => other !== id && set.has(other));
  } catch {
    return []; // not in the graph (excluded, unknown): related to nothing
  }
}

/**
 * Run `step` for every id of `ids`: each after every plugin of `ids` that depends on it, all
 * others concurrently; within `deadlineAt` (performance.now() time) if given. Resolves when
 * every step settled.
 */
export async function teardownConcurrently(
  graph: PluginGraph,
  ids: readonly string[],
  step: TeardownStep,
  deadlineAt?: number,
): Promise<void> {
  const set = new Set(ids);
  const depth = new Map<string, number>();
  const below = (id: string, seen: Set<string>): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    if (seen.has(id)) return 0; // a cycle cannot be activated; never loop on one anyway
    seen.add(id);
    let d = 0;
    for (const dep of within(graph, id, 'dependencies', set)) d = Math.max(d, below(dep, seen) + 1);
    depth.set(id, d);
    return d;
  };
  const runs = new Map<string, Promise<void>>();
  const errors: unknown[] = [];
  const run = (id: string, path: Set<string>): Promise<void> => {
    const existing = runs.get(id);
    if (existing) return existing;
    const next = new Set(path).add(id);
    const first = within(graph, id, 'dependents', set).filter((d) => !next.has(d));
    const started = Promise.all(first.map((d) => run(d, next))).then(() => {
      const slot =
        deadlineAt === undefined
          ? undefined
          : performance.now() + (deadlineAt - performance.now()) / (below(id, new Set()) + 1);
      return step(id, slot);
    });
    const settled = started.catch((error: unknown) => {
      errors.push(error);
    });
    runs.set(id, settled);
    return settled;
  };
  await Promise.all(ids.map((id) => run(id, new Set())));
  if (errors.length > 0) throw errors[0];
}

/**
 * A plugin's `deactivate` was still running when its share of the shutdown deadline ran out:
 * the host stopped waiting, force-released its resources, ended its worker, and went on with
 * the other plugins. Code `STEWARD_PLUGIN_ABANDONED`; `cause` is the timeout.
 */
export class PluginAbandonedError extends StewardError {
  override name = 'PluginAbandonedError';
  /** The code of this class's errors. */
  static override readonly code = 'STEWARD_PLUGIN_ABANDONED';
  constructor(
    readonly plugin: string,
    readonly afterMs: number,
    cause: unknown,
  ) {
    super(
      `deactivate() of plugin "${plugin}" was still running after ${afterMs} ms, all the shutdown deadline left it; ` +
        'the host abandoned it (its resources force-released, its worker ended) and went on with the others. ' +
        'Make deactivate() finish sooner or honour ctx.signal, or give the shutdown a longer deadline.',
      { cause, code: PluginAbandonedError.code },
    );
  }
}
