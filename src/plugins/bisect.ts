/**
 * Plugin bisect, the search (pure: no I/O; `steward bisect` wires it to real hosts, cli/bisect.ts).
 *
 * Finds **every** plugin whose presence makes a predicate fail, not just the first. A trial
 * enables a set of plugins that is always closed under required dependencies (a plugin runs only
 * with what it needs) and always contains the always-on plugins and their dependencies.
 *
 * The search walks the plugins in dependency order, so every prefix of that order is a valid set.
 * With failure monotone in the set (one more plugin never fixes a failure), the first prefix that
 * fails ends with a culprit; a binary search finds it in ⌈log₂ n⌉ trials. The culprit is then
 * tried alone with its dependencies: when that passes, it fails only together with other plugins,
 * and the same search over the earlier prefix finds those companions (an interaction). The
 * culprit and its dependents (which cannot run without it, so cannot be told apart: `masked`)
 * leave the set; the known-good prefix stays good, and the search goes on while the rest fails. Each culprit's failing set is run once more (not from
 * the memo): one that passes then is `unconfirmed`, not a culprit.
 *
 * Trials are memoized by set. With k culprits among n plugins, and no interactions, the search
 * takes at most `2 + k·(⌈log₂ n⌉ + 3)` trials (`bisectRunBound`).
 */
import { StewardRangeError } from '../core/errors.js';

/** A plugin as the search sees it: its id and the ids of its required dependencies. */
export interface BisectPlugin {
  readonly id: string;
  readonly dependencies: readonly string[];
}

/** What one trial told: whether the predicate failed, and what to show as evidence. */
export interface TrialOutcome<E> {
  readonly failed: boolean;
  readonly evidence: E;
}

/** A trial that ran: the plugins enabled (dependency order) and its outcome. */
export interface Trial<E> extends TrialOutcome<E> {
  readonly enabled: readonly string[];
  /** 1 for the first trial run. */
  readonly run: number;
}

/** Input of {@link bisectPlugins}. */
export interface BisectOptions<E> {
  /** Every plugin that can be enabled; dependencies must be among them, without cycles. */
  readonly plugins: readonly BisectPlugin[];
  /** Plugins never disabled (their dependencies neither). */
  readonly alwaysOn?: readonly string[];
  /** Run the predicate with exactly `enabled` active (dependency order). */
  readonly test: (enabled: readonly string[]) => Promise<TrialOutcome<E>>;
  /** Called after each trial (progress). */
  readonly onTrial?: (trial: Trial<E>) => void;
}

/** A plugin found to make the predicate fail. */
export interface BisectCulprit<E> {
  readonly id: string;
  /** Its dependencies (transitive) that were enabled with it, outside the always-on ones. */
  readonly dependencies: readonly string[];
  /** Other plugins it fails only together with (an interaction); empty when it fails alone. */
  readonly companions: readonly string[];
  /** The smallest failing trial seen with it: alone with its dependencies (and companions). */
  readonly failing: Trial<E>;
  /** The largest set tried without it (the plugins before it in dependency order), which passed. */
  readonly passing: Trial<E>;
}

/** How the search ended. */
export type BisectVerdict =
  /** At least one culprit. */
  | 'found'
  /** Every plugin enabled fails, the always-on set alone passes, yet no culprit reproduced (a flaky predicate). */
  | 'none'
  /** The predicate passes with every plugin enabled: nothing to find. */
  | 'passes-with-all'
  /** The predicate fails with every plugin disabled (but the always-on ones): the fault is elsewhere. */
  | 'fails-without-plugins';

/** Result of {@link bisectPlugins}. */
export interface BisectResult<E> {
  readonly verdict: BisectVerdict;
  readonly culprits: readonly BisectCulprit<E>[];
  /** Culprits whose failing set passed when run again (a flaky predicate): not in `culprits`. */
  readonly unconfirmed: readonly BisectCulprit<E>[];
  /** Dependents of a culprit, never tried without it, so not judged: id → the culprit. */
  readonly masked: ReadonlyMap<string, string>;
  /** The always-on plugins with their dependencies (never disabled). */
  readonly alwaysOn: readonly string[];
  /** Every trial run, in order (its length is the number of runs). */
  readonly trials: readonly Trial<E>[];
}

/**
 * The most trials {@link bisectPlugins} runs for `culprits` culprits among `plugins` plugins
 * (none always-on), when failure is monotone and no culprit needs a companion.
 */
export function bisectRunBound(plugins: number, culprits: number): number {
  return 2 + culprits * (Math.ceil(Math.log2(Math.max(1, plugins))) + 3);
}

/** `plugins` in dependency order (ties keep the given order); throws on unknown ids or cycles. */
function dependencyOrder(plugins: readonly BisectPlugin[]): string[] {
  const byId = new Map(plugins.map((p) => [p.id, p]));
  if (byId.size !== plugins.length) throw new StewardRangeError('bisectPlugins: plugin ids must be unique.');
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, from: string | undefined): void => {
    const plugin = byId.get(id);
    if (!plugin)
      throw new StewardRangeError(
        `bisectPlugins: "${from}" depends on "${id}", which is not among the plugins.`,
      );
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting')
      throw new StewardRangeError(`bisectPlugins: a dependency cycle goes through "${id}".`);
    state.set(id, 'visiting');
    for (const dep of plugin.dependencies) visit(dep, id);
    state.set(id, 'done');
    order.push(id);
  };
  for (const p of plugins) visit(p.id, undefined);
  return order;
}

/**
 * Find every plugin whose presence makes `test` fail (module doc). Throws a RangeError for an
 * unknown always-on id, an unknown dependency or a cycle; a failing `test` rejects the search.
 */
export async function bisectPlugins<E>(options: BisectOptions<E>): Promise<BisectResult<E>> {
  const order = dependencyOrder(options.plugins);
  const position = new Map(order.map((id, i) => [id, i]));
  const deps = new Map(options.plugins.map((p) => [p.id, p.dependencies]));
  /** `ids` and their transitive dependencies. */
  const closure = (ids: Iterable<string>): Set<string> => {
    const out = new Set<string>();
    const stack = [...ids];
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (out.has(id)) continue;
      out.add(id);
      stack.push(...(deps.get(id) ?? []));
    }
    return out;
  };
  for (const id of options.alwaysOn ?? []) {
    if (!position.has(id))
      throw new StewardRangeError(`bisectPlugins: always-on plugin "${id}" is not among the plugins.`);
  }
  const alwaysOn = closure(options.alwaysOn ?? []);
  const trials: Trial<E>[] = [];
  const memo = new Map<string, Trial<E>>();
  const sorted = (set: Iterable<string>): string[] =>
    [...new Set(set)].sort((a, b) => position.get(a)! - position.get(b)!);
  /** Run `set` (with the always-on plugins), or answer from an earlier run of it unless `fresh`. */
  const trial = async (set: Iterable<string>, fresh = false): Promise<Trial<E>> => {
    const enabled = sorted([...alwaysOn, ...set]);
    const key = enabled.join('\n');
    const known = memo.get(key);
    if (known && !fresh) return known;
    const outcome = await options.test(enabled);
    const done: Trial<E> = {
      enabled,
      failed: outcome.failed,
      evidence: outcome.evidence,
      run: trials.length + 1,
    };
    trials.push(done);
    memo.set(key, done);
    options.onTrial?.(done);
    return done;
  };
  const result = (
    verdict: BisectVerdict,
    culprits: BisectCulprit<E>[],
    masked = new Map<string, string>(),
  ): BisectResult<E> => ({
    verdict,
    culprits,
    unconfirmed: [],
    masked,
    alwaysOn: sorted(alwaysOn),
    trials,
  });

  let active = order.filter((id) => !alwaysOn.has(id));
  if (!(await trial(active)).failed) return result('passes-with-all', []);
  if ((await trial([])).failed) return result('fails-without-plugins', []);

  /** The shortest prefix of `list` that fails on top of `base` (which passes): its last index, or -1. */
  const firstFailing = async (base: readonly string[], list: readonly string[], lo: number) => {
    let hi = list.length - 1;
    if (!(await trial([...base, ...list])).failed) return -1;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if ((await trial([...base, ...list.slice(0, mid + 1)])).failed) hi = mid;
      else lo = mid;
    }
    return hi;
  };

  const culprits: BisectCulprit<E>[] = [];
  const unconfirmed: BisectCulprit<E>[] = [];
  const masked = new Map<string, string>();
  let good = -1; // active[0..good] passes
  for (;;) {
    const at = await firstFailing([], active, good);
    if (at < 0) break;
    const id = active[at]!;
    good = at - 1;
    const own = closure([id]);
    const before = active.slice(0, at);
    // Alone with its dependencies; if that passes, find the companions it needs among `before`.
    const companions: string[] = [];
    let forced = own;
    let failing = await trial(forced);
    let rest = before.filter((x) => !forced.has(x));
    while (!failing.failed && rest.length > 0) {
      const j = await firstFailing([...forced], rest, -1);
      if (j < 0) break; // did not reproduce: a flaky predicate
      companions.push(rest[j]!);
      forced = new Set([...forced, ...closure([rest[j]!])]);
      rest = rest.slice(0, j).filter((x) => !forced.has(x));
      failing = await trial(forced);
    }
    // The largest set tried without it (everything before it in the order): run already.
    const passing = await trial(active.slice(0, at));
    if (failing.failed && !passing.failed) {
      const culprit = {
        id,
        dependencies: sorted([...own].filter((x) => x !== id && !alwaysOn.has(x))),
        companions: sorted(companions),
        failing,
        passing,
      };
      // Run its failing set once more: a verdict must not rest on one run of a flaky predicate.
      if ((await trial(failing.enabled, true)).failed) culprits.push(culprit);
      else unconfirmed.push(culprit);
    }
    // It and its dependents leave the set: they cannot be tried without it.
    const gone = new Set([id]);
    for (const x of active.slice(at + 1)) {
      if ((deps.get(x) ?? []).some((d) => gone.has(d))) {
        gone.add(x);
        masked.set(x, masked.get(id) ?? id);
      }
    }
    active = active.filter((x) => !gone.has(x));
  }
  return { ...result(culprits.length > 0 ? 'found' : 'none', culprits, masked), unconfirmed };
}
