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
} from '../node/index.js';

/** Something a test left behind. */
export interface Leak {
  /** A tracked resource still held, or an attributed handle still alive. */
  readonly kind: 'resource' | 'handle';
  /** Id of the component holding it (or whose code created it). */
  readonly component: string;
  /** Resource type (`timer`, `socket`…) or handle kind. */
  readonly type: string;
  /** One line for the report. */
  readonly description: string;
  /** Where it was created, if known. */
  readonly stack: string | undefined;
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
  const what = [
    leaks.length - handles > 0 ? `${leaks.length - handles} tracked resource(s)` : '',
    handles > 0 ? `${handles} open handle(s)` : '',
  ]
    .filter(Boolean)
    .join(' and ');
  const lines = [`The test left ${what} behind:`];
  let missingStacks = false;
  for (const leak of leaks) {
    lines.push(`  - ${leak.description}`);
    if (leak.stack) lines.push(userStack(leak.stack));
    else missingStacks = true;
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

/** See the module comment. One checker serves one test at a time. */
export class LeakChecker implements Disposable {
  readonly #options: LeakCheckOptions;
  readonly #attribution: Attribution | undefined;
  #baseline = new WeakSet<TrackedResource>();
  #components = new WeakSet<Component>();
  #seq = 0;

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
  }

  #managers(): ResourceManager[] {
    return this.#options.manager !== undefined ? [this.#options.manager] : [...this.#options.managers!()];
  }

  /** Remember what exists now: only what appears after this counts. */
  begin(): void {
    this.#baseline = new WeakSet();
    this.#components = new WeakSet();
    for (const manager of this.#managers()) {
      for (const component of manager.components()) {
        this.#components.add(component);
        for (const record of component.resources()) this.#baseline.add(record);
      }
    }
    this.#seq = attributionSeq();
  }

  #newRecords(): TrackedResource[] {
    const out: TrackedResource[] = [];
    for (const manager of this.#managers()) {
      for (const component of manager.components()) {
        for (const record of component.resources()) if (!this.#baseline.has(record)) out.push(record);
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
    const leaks: Leak[] = [
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
    ];
    if (ignore === undefined) return { leaks, records, handles };
    const kept = leaks.map((leak) => !ignore(leak));
    return {
      leaks: leaks.filter((_, i) => kept[i]),
      records: records.filter((_, i) => kept[i]),
      handles: handles.filter((_, i) => kept[i + records.length]),
    };
  }

  /**
   * Finish the test: find leaks, release them (unless `reclaim: false`), and throw a
   * `LeakCheckError` if there were any and `passed` is true. A failed test is never blamed
   * for leaks (its own failure is the one to read), but its leaks are still released.
   */
  async end(passed: boolean): Promise<Leak[]> {
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

  /** Stop (turns the attribution session off). */
  dispose(): void {
    this.#attribution?.dispose();
  }

  /** `using` support. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}
