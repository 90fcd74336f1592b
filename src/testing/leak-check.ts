/**
 * The framework-neutral leak check behind `installLeakCheck` (Vitest) and
 * `installNodeTestLeakCheck` (`node:test`): `begin()` before a test remembers what exists;
 * `end(passed)` after it lists what the test left behind —
 * - resources tracked during the test (in any component of the checked managers) and still
 *   held, with their creation stacks when the manager has `leakTracking` on;
 * - with `attribution`, handles (timers, sockets, servers, processes…) created during the test
 *   by a component's code and still alive, with creation stacks —
 * then (with `reclaim`, the default) releases them so one leaking test does not break the
 * next, and throws a `LeakCheckError` listing them if the test had otherwise passed.
 */
import { fileURLToPath } from 'node:url';
import { StewardError, StewardTypeError } from '../core/errors.js';
import type { Component, ResourceManager, TrackedResource } from '../core/index.js';
import {
  type AttributedHandle,
  type Attribution,
  allAttributedHandles,
  attributionSeq,
  enableAttribution,
  reclaim,
} from '../node/attribution.js';
import {
  dropDisposedHostsUnloads,
  flushUnloadVerifications,
  onUnloadVerdict,
  setUnloadVerificationDefault,
  type UnloadVerdict,
  type UnloadVerificationOptions,
  unloadVerificationDefault,
} from '../plugins/unload-verifier.js';

/** Something a test left behind. */
export interface Leak {
  /**
   * A tracked resource still held, an attributed handle still alive, or an object of a plugin
   * unloaded during the test still reachable (unload verification).
   */
  readonly kind: 'resource' | 'handle' | 'retained';
  /** Id of the component holding it (or whose code created it). */
  readonly component: string;
  /** Resource type (`timer`, `socket`…) or handle kind. */
  readonly type: string;
  /** One line for the report. */
  readonly description: string;
  /** Where it was created, if known. */
  readonly stack: string | undefined;
  /** For `retained`: the retainer path from a GC root, one hop a line. */
  readonly path?: readonly string[] | undefined;
  /** For `retained`: the creation line of the object (`plugins/x/index.js:5:3`). */
  readonly site?: string | undefined;
}

/**
 * A tolerated leak: every given field must match (`plugin`: the component or plugin id;
 * `site`: a pattern over the creation site and stack; `kind`: the leak's kind or type), at most
 * `max` times per test (default 1). Past `max`, the rest are reported, saying so.
 */
export interface LeakAllowance {
  readonly plugin?: string;
  readonly site?: RegExp | string;
  readonly kind?: string;
  readonly max?: number;
}

/** Options of the leak check. */
export interface LeakCheckOptions {
  /** The manager to check. */
  readonly manager?: ResourceManager;
  /** Or: the managers to check, asked anew before and after each test. */
  readonly managers?: () => Iterable<ResourceManager>;
  /** Also check attributed handles; enables attribution with creation stacks while installed. Default false. */
  readonly attribution?: boolean;
  /** Release what leaked after each test (cleaning up components registered in the test). Default true. */
  readonly reclaim?: boolean;
  /** Leaks to tolerate. */
  readonly ignore?: (leak: Leak) => boolean;
  /** Leaks to tolerate by plugin or creation site, with counts (see {@link LeakAllowance}). */
  readonly allow?: readonly LeakAllowance[];
  /**
   * Verify the unloads of plugin hosts created while the check is installed (without a
   * `verifyUnload` of their own): objects an unloaded plugin left reachable fail the test, with
   * their retainer paths. Default {@link TEST_UNLOAD_VERIFICATION}: the unloads of a test are
   * verified together when it ends — one heap snapshot per test that unloaded a plugin.
   * `{ snapshot: 'retained' }` is the cheap mode (a snapshot only when `ctx` survived); `false`: off.
   */
  readonly unloads?: boolean | UnloadVerificationOptions;
}

/**
 * Thrown after a passing test that left resources or handles behind; `leaks` lists them.
 * Code `STEWARD_LEAK_CHECK`.
 */
export class LeakCheckError extends StewardError {
  /** The code of this class's errors. */
  static override readonly code = 'STEWARD_LEAK_CHECK';
  override name = 'LeakCheckError';
  constructor(readonly leaks: readonly Leak[]) {
    super(formatLeaks(leaks));
  }
}

/**
 * Steward's own code — the directory this module runs from (dist/ or src/) and, with source
 * maps, the sources it maps to: its frames are noise in a leak report.
 */
const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const STEWARD_DIRS = [
  fileURLToPath(new URL('..', import.meta.url)),
  `${PACKAGE_ROOT}src/`,
  `${PACKAGE_ROOT}dist/`,
];
const NOISE = /node_modules[\\/]|node:internal|\(node:|at node:|\(<anonymous>\)$/;

/** A stack reduced to the user's frames, indented for the report. */
function userStack(stack: string): string {
  const lines = stack.split('\n');
  const header = lines[0] !== undefined && !/^\s*at /.test(lines[0]) ? lines[0].trim() : undefined;
  const frames = lines
    .filter(
      (line) => /^\s*at /.test(line) && !NOISE.test(line) && !STEWARD_DIRS.some((dir) => line.includes(dir)),
    )
    .slice(0, 10);
  const title = header === undefined || header.startsWith('Error:') ? 'Created here:' : header;
  return [title, ...(frames.length > 0 ? frames : ['(no frame outside Steward and Node)'])]
    .map((line, i) => `${i === 0 ? '    ' : '      '}${line.trim()}`)
    .join('\n');
}

/** The human-readable report of `leaks` (the message of `LeakCheckError`). */
export function formatLeaks(leaks: readonly Leak[]): string {
  const handles = leaks.filter((l) => l.kind === 'handle').length;
  const retained = leaks.filter((l) => l.kind === 'retained').length;
  const resources = leaks.length - handles - retained;
  const what = [
    resources > 0 ? `${resources} tracked resource(s)` : '',
    handles > 0 ? `${handles} open handle(s)` : '',
    retained > 0 ? `${retained} object(s) of unloaded plugins still reachable` : '',
  ]
    .filter(Boolean)
    .join(' and ');
  const lines = [`The test left ${what} behind:`];
  let missingStacks = false;
  for (const leak of leaks) {
    lines.push(`  - ${leak.description}`);
    if (leak.path) lines.push('    Retained by:', ...leak.path.map((hop) => `      ${hop}`));
    if (leak.site && !leak.site.includes('\n')) lines.push(`    Created at ${leak.site}`);
    if (leak.stack) lines.push(userStack(leak.stack));
    else if (leak.kind !== 'retained') missingStacks = true;
  }
  if (retained > 0) {
    lines.push(
      'Unloaded plugins must leave nothing reachable: remove listeners with ctx.listen, timers with ctx.setInterval, and entries a host singleton keeps with ctx.onCleanup.',
    );
  }
  lines.push('Release them before the test ends (or clean up their component).');
  if (missingStacks) {
    lines.push(
      'For creation stacks, create the ResourceManager with { leakTracking: true } (resources) ' +
        'and use the check with { attribution: true } (handles).',
    );
  }
  return lines.join('\n');
}

/** The unload verification of tests: every batch waits for the end of the test (`end()` flushes it). */
export const TEST_UNLOAD_VERIFICATION: UnloadVerificationOptions = Object.freeze({
  snapshot: 'always',
  batchMs: 2 ** 31 - 1,
});

/** See the module comment. One checker serves one test at a time. */
export class LeakChecker implements Disposable {
  readonly #options: LeakCheckOptions;
  readonly #attribution: Attribution | undefined;
  /** Per manager: its last resource id and tracked count when the test began (a ledger, no per-record set). */
  #baseline = new WeakMap<ResourceManager, { readonly lastId: number; readonly tracked: number }>();
  #components = new WeakSet<Component>();
  #seq = 0;
  readonly #previousDefault: ReturnType<typeof unloadVerificationDefault>;
  #verdicts: UnloadVerdict[] = [];
  #unsubscribe: (() => void) | undefined;

  constructor(options: LeakCheckOptions) {
    if (options === null || typeof options !== 'object') {
      throw new StewardTypeError('LeakChecker(options): options must be an object with manager or managers.');
    }
    if ((options.manager === undefined) === (options.managers === undefined)) {
      throw new StewardTypeError(
        'Leak check: pass exactly one of { manager } (a ResourceManager) or { managers } (a function returning them).',
      );
    }
    if (options.managers !== undefined && typeof options.managers !== 'function') {
      throw new StewardTypeError('Leak check: managers must be a function returning the managers to check.');
    }
    this.#options = options;
    this.#attribution = options.attribution
      ? enableAttribution({ captureStacks: true, atCleanup: 'off' })
      : undefined;
    this.#previousDefault = unloadVerificationDefault();
    const unloads = options.unloads ?? TEST_UNLOAD_VERIFICATION;
    if (unloads !== false) setUnloadVerificationDefault(unloads);
    this.#unsubscribe = unloads === false ? undefined : onUnloadVerdict((v) => this.#verdicts.push(v));
  }

  #managers(): ResourceManager[] {
    return this.#options.manager !== undefined ? [this.#options.manager] : [...this.#options.managers!()];
  }

  /** Remember what exists now: only what appears after this counts. */
  begin(): void {
    this.#baseline = new WeakMap();
    this.#components = new WeakSet();
    for (const manager of this.#managers()) {
      this.#baseline.set(manager, {
        lastId: manager._lastResourceId,
        tracked: manager._stats.resourcesTracked,
      });
      for (const component of manager.components()) this.#components.add(component);
    }
    this.#seq = attributionSeq();
    if (this.#unsubscribe) dropDisposedHostsUnloads();
    this.#verdicts = [];
  }

  #newRecords(): TrackedResource[] {
    const out: TrackedResource[] = [];
    for (const manager of this.#managers()) {
      const before = this.#baseline.get(manager);
      // Nothing tracked since the test began: nothing of the test's can be held there.
      if (before !== undefined && manager._stats.resourcesTracked === before.tracked) continue;
      const lastId = before?.lastId ?? 0;
      for (const component of manager.components()) {
        for (const record of component.resources()) if (record.id > lastId) out.push(record);
      }
    }
    return out;
  }

  #newHandles(records: readonly TrackedResource[]): AttributedHandle[] {
    if (this.#attribution === undefined) return [];
    const managers = new Set(this.#managers());
    const owned = new Set<unknown>();
    for (const record of records) {
      owned.add(record.value);
      const stdio = (record.value as { stdio?: unknown } | null)?.stdio;
      if (Array.isArray(stdio)) for (const s of stdio) owned.add(s);
    }
    return allAttributedHandles({ since: this.#seq }).filter(
      (h) => managers.has(h.component.manager) && !owned.has(h.owner) && !owned.has(h.resource),
    );
  }

  /** What the test left behind so far (without releasing anything). */
  collect(): Leak[] {
    return this.#find().leaks;
  }

  #find(): { leaks: Leak[]; records: TrackedResource[]; handles: AttributedHandle[] } {
    const ignore = this.#options.ignore;
    const records = this.#newRecords();
    const handles = this.#newHandles(records);
    const all: Leak[] = [
      ...records.map(
        (r): Leak => ({
          kind: 'resource',
          component: r.component.id,
          type: r.type,
          description: `${r.type} #${r.id} tracked by ${r.component.type} "${r.component.id}" is still held`,
          stack: r.stack,
        }),
      ),
      ...handles.map(
        (h): Leak => ({
          kind: 'handle',
          component: h.component.id,
          type: h.kind,
          description: `${h.description} created by ${h.component.type} "${h.component.id}" (${h.component.state}) is still open`,
          stack: h.stack,
        }),
      ),
      ...this.#verdicts.flatMap((v) =>
        v.findings.map(
          (f): Leak => ({
            kind: 'retained',
            component: f.plugin,
            type: f.kind,
            description: f.message,
            stack: f.stack,
            path: f.path,
            site: f.site,
          }),
        ),
      ),
    ];
    const kept = allowed(all, this.#options.allow ?? [], ignore);
    return {
      leaks: kept.filter((leak): leak is Leak => leak !== undefined),
      records: records.filter((_, i) => kept[i] !== undefined),
      handles: handles.filter((_, i) => kept[i + records.length] !== undefined),
    };
  }

  /**
   * Finish the test: find leaks, release them (unless `reclaim: false`), and throw a
   * `LeakCheckError` if there were any and `passed` is true. A failed test is never blamed
   * for leaks (its own failure is the one to read), but its leaks are still released.
   */
  async end(passed: boolean): Promise<Leak[]> {
    if (this.#unsubscribe) await flushUnloadVerifications();
    const { leaks, records, handles } = this.#find();
    if (this.#options.reclaim !== false) await this.#release(records, handles);
    if (passed && leaks.length > 0) throw new LeakCheckError(leaks);
    return leaks;
  }

  async #release(records: readonly TrackedResource[], handles: readonly AttributedHandle[]): Promise<void> {
    const newComponents = new Set<Component>();
    for (const record of records) {
      let root = record.component;
      while (root.parent !== undefined && !this.#components.has(root.parent)) root = root.parent;
      if (!this.#components.has(root)) newComponents.add(root);
    }
    for (const component of newComponents) await component.cleanup({ force: true, reason: 'leak check' });
    for (const record of records) {
      try {
        await record.releaseAsync();
      } catch {
        // Reported by the core as disposerFailed; the check goes on.
      }
    }
    for (const handle of handles) {
      try {
        reclaim(handle);
      } catch {
        // Best effort: the handle is already reported as a leak.
      }
    }
  }

  /** Stop (turns the attribution session off, restores the unload verification default). */
  dispose(): void {
    this.#attribution?.dispose();
    if (this.#unsubscribe) {
      this.#unsubscribe();
      this.#unsubscribe = undefined;
      setUnloadVerificationDefault(this.#previousDefault);
    }
  }

  /** `using` support. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}

/**
 * The leaks still reported after `ignore` and the allowances (undefined: tolerated). A leak an
 * allowance matches once its count is used up is reported, saying so.
 */
function allowed(
  leaks: readonly Leak[],
  allow: readonly LeakAllowance[],
  ignore: ((leak: Leak) => boolean) | undefined,
): Array<Leak | undefined> {
  const used = allow.map(() => 0);
  return leaks.map((leak) => {
    if (ignore?.(leak)) return undefined;
    const where = `${leak.site ?? ''}\n${leak.stack ?? ''}`;
    const matching = allow
      .map((a, n) => ({ a, n }))
      .filter(
        ({ a }) =>
          (a.plugin === undefined || a.plugin === leak.component) &&
          (a.kind === undefined || a.kind === leak.kind || a.kind === leak.type) &&
          (a.site === undefined ||
            (typeof a.site === 'string' ? where.includes(a.site) : a.site.test(where))),
      );
    const free = matching.find(({ a, n }) => used[n]! < (a.max ?? 1));
    if (free) {
      used[free.n]!++;
      return undefined;
    }
    if (matching.length === 0) return leak;
    const max = matching.reduce((sum, { a }) => sum + (a.max ?? 1), 0);
    return { ...leak, description: `${leak.description} (more than the ${max} allowed)` };
  });
}
