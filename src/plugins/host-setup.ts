/**
 * How a `PluginHost` is put together and taken apart: the registry, the lifecycle, containment,
 * attribution with its leak log, unload verification, the children journal and the health watch,
 * made from the host's options in the order they depend on each other, and ended in the reverse
 * order once teardown is over. Pure wiring of `host.ts`; the operations stay there.
 */
import type { Emitter, ResourceManager } from '../core/index.js';
import { guardAttributedChildren } from '../node/attribution-children.js';
import { addFaultClaimer } from '../node/containment.js';
import { type Attribution, asyncContextIsCheap, enableAttribution } from '../node/index.js';
import type { PluginEvents } from './events.js';
import { PluginHealth } from './health.js';
import { HostChildren } from './host-children.js';
import { HostContainment, logReplacements, restoreBeforeTeardown } from './host-containment.js';
import { PluginLifecycle } from './host-lifecycle.js';
import type { PluginHostOptions, PluginInfo } from './host-options.js';
import { PluginRegistry } from './host-registry.js';
import { teardownConcurrently } from './host-teardown.js';
import { consoleSink, type LogSink } from './logger.js';
import { isRunning, runtimeOf } from './plugin-state.js';
import { UnloadVerifier, unloadVerificationDefault } from './unload-verifier.js';
import type { PluginWatcher } from './watch.js';

/** The parts a host is made of (all but the queue, the watchers and the public surface). */
export interface HostParts {
  readonly sink: LogSink;
  readonly registry: PluginRegistry;
  readonly lifecycle: PluginLifecycle;
  readonly children: HostChildren;
  readonly attribution: Attribution | undefined;
  readonly verifier: UnloadVerifier | undefined;
  readonly health: PluginHealth | undefined;
  /** Stops tying children plugins start without ctx to the host (attribution on). */
  readonly unguardChildren: (() => void) | undefined;
  /** Removes the host's fault claimer (containment.ts), when error attribution is on. */
  readonly unclaim: (() => void) | undefined;
}

/** What the parts need of the host itself: its queue, whether it is disposed, two operations. */
export interface HostHooks {
  readonly manager: ResourceManager;
  readonly events: Emitter<PluginEvents>;
  readonly enqueue: <T>(op: () => Promise<T>, internal?: boolean) => Promise<T>;
  readonly disposed: () => boolean;
  readonly reload: (id: string) => Promise<PluginInfo>;
  readonly unload: (id: string) => Promise<PluginInfo>;
}

/** Make a host's parts from its (checked) options. */
export function assembleHost(options: PluginHostOptions, hooks: HostHooks): HostParts {
  const { manager, events } = hooks;
  const sink = options.log ?? consoleSink();
  const children = new HostChildren(options.journalDir, sink);
  let unguardChildren: (() => void) | undefined;
  let attribution: Attribution | undefined;
  if (options.attribution) {
    // Children plugins start without ctx die with the host too (docs/plugins.md).
    unguardChildren = guardAttributedChildren();
    attribution = enableAttribution({
      manager,
      captureStacks: options.attribution.captureStacks ?? false,
      atCleanup: options.attribution.reclaim ? 'reclaim' : 'report',
      onLeaks: (leaks, component) => {
        for (const leak of leaks) {
          sink({
            level: 'warn',
            plugin: component.id,
            message: `leaked ${leak.description}${leak.reclaimed ? ' (reclaimed)' : ''}`,
            args: leak.stack ? [`\n${leak.stack}`] : [],
            time: Date.now(),
          });
        }
      },
    });
  }
  const verify = options.verifyUnload ?? unloadVerificationDefault();
  const verifier = verify ? new UnloadVerifier(manager, events, verify === true ? {} : verify) : undefined;
  const registry = new PluginRegistry({
    events,
    log: sink,
    hostVersion: options.hostVersion,
    isolation: options.isolation,
  });
  const containment =
    options.errorAttribution === false
      ? undefined
      : new HostContainment({
          registry,
          onFault: (record, component, error) => lifecycle.fault(record, component, error),
          onRestored: (replacements) => logReplacements(sink, replacements),
        });
  const lifecycle: PluginLifecycle = new PluginLifecycle({
    registry,
    manager,
    events,
    log: sink,
    host: options,
    // Plugin code runs in its component when something needs the context and it is affordable.
    attribution:
      attribution !== undefined ||
      (containment !== undefined && (options.errorAttribution === 'context' || asyncContextIsCheap())),
    containment,
    enqueue: hooks.enqueue,
    disposed: hooks.disposed,
    verifier,
    children,
  });
  const unclaim = containment && addFaultClaimer(containment);
  const health = options.health
    ? new PluginHealth({
        options: options.health === true ? {} : options.health,
        records: () => registry.records(),
        isolationOf: (record) => registry.isolationOf(record.manifest),
        events,
        log: sink,
        act: (id, action) => (action === 'restart' ? hooks.reload(id) : hooks.unload(id)),
      })
    : undefined;
  return { sink, registry, lifecycle, children, attribution, verifier, health, unguardChildren, unclaim };
}

/** Deactivate `ids` (in teardown order): dependents first, unrelated plugins concurrently. */
export function teardownPlugins(
  parts: HostParts,
  ids: readonly string[],
  end: (id: string) => 'loaded' | 'unloaded',
  deadlineAt?: number,
): Promise<void> {
  return teardownConcurrently(
    parts.registry.graph().graph,
    ids,
    (id, slotEndsAt) => parts.lifecycle.deactivate(id, end(id), slotEndsAt),
    deadlineAt,
  );
}

/** What `disposeHostParts` needs of the host: its watchers, its queue, its teardown, its manager. */
export interface HostDisposal {
  readonly watchers: ReadonlySet<PluginWatcher>;
  /** Runs `op` on the host's queue even though the host is disposed. */
  readonly enqueue: (op: () => Promise<void>) => Promise<void>;
  /** Deactivates and unloads `order`, within the deadline if any. */
  readonly teardown: (order: readonly string[]) => Promise<void>;
  /** The manager to dispose, when the host created it. */
  readonly manager: ResourceManager | undefined;
  readonly deadlineAt: number | undefined;
}

/**
 * `PluginHost.dispose`'s sequence: restore what containment replaced, stop watchers and the health
 * watch, tear every running plugin (and every runtime holding a thread) down on the queue, then end
 * verification, the manager (with what is left of the deadline) and the rest of the parts.
 */
export async function disposeHostParts(parts: HostParts, host: HostDisposal): Promise<void> {
  const { registry, lifecycle } = parts;
  restoreBeforeTeardown(
    parts.sink,
    [...registry.records()].map((r) => r.manifest.id),
  );
  for (const watcher of [...host.watchers]) watcher.dispose();
  const health = parts.health?.close();
  lifecycle.dispose();
  await host.enqueue(async () => {
    const ids = new Set<string>();
    for (const r of registry.records()) {
      const runtime = runtimeOf(r.status);
      if (isRunning(r.status.state) || (runtime && !runtime.reusable)) ids.add(r.manifest.id);
    }
    await host.teardown(lifecycle.teardownOrder([...ids]).filter((id) => ids.has(id)));
  });
  parts.verifier?.close();
  if (host.manager) {
    const { deadlineAt } = host;
    const left = deadlineAt === undefined ? undefined : Math.max(1, deadlineAt - performance.now());
    await host.manager.dispose({
      force: true,
      reason: 'host disposed',
      ...(left ? { deadlineMs: left } : {}),
    });
  }
  parts.attribution?.dispose();
  parts.unguardChildren?.();
  parts.children.close();
  parts.unclaim?.();
  await health;
}
