/**
 * Statistics and snapshots, computed on demand by walking the records (nothing is counted by
 * type on the hot path). JSON-serializable for monitors.
 */
import type { Component } from './component.js';
import type { ManagerCounters, ResourceManager } from './manager.js';
import type { ResourceInfo } from './resource.js';
import type { LifecycleState, MemoryLimit } from './types.js';

/** Count and bytes of one resource type. */
export interface TypeTotals {
  count: number;
  bytes: number;
}

/** Statistics of a manager. */
export interface ManagerStats extends ManagerCounters {
  /** Live components. */
  components: number;
  /** Live tracked resources (and cleanup callbacks). */
  activeResources: number;
  /** Bytes tracked across all components. */
  totalBytes: number;
  /**
   * Resources whose async disposer is still running or hung, and the bytes they hold: not in
   * `activeResources`/`totalBytes` any more, here until the disposer settles or is abandoned.
   */
  disposing: TypeTotals;
  /** The global memory limit, if any. */
  memoryLimit: Required<MemoryLimit> | undefined;
  /** Live resources by type. */
  byType: Record<string, TypeTotals>;
  /** Per component: resources, memory and resources by type. */
  byComponent: Record<string, ComponentStats>;
}

/** Statistics of one component. */
export interface ComponentStats {
  type: string;
  state: LifecycleState;
  resources: number;
  ownBytes: number;
  subtreeBytes: number;
  /** Its resources whose async disposer has not settled yet (see `ManagerStats.disposing`). */
  disposing: TypeTotals;
  byType: Record<string, TypeTotals>;
}

/** One component in a snapshot. */
export interface ComponentInfo extends ComponentStats {
  id: string;
  parent: string | undefined;
  children: string[];
  createdAt: number;
  ageMs: number;
  memoryLimit: Required<MemoryLimit> | undefined;
  metadata?: Readonly<Record<string, unknown>>;
  error?: string;
  resourceList?: ResourceInfo[];
}

/** A JSON-serializable picture of a manager. */
export interface ManagerSnapshot {
  takenAt: number;
  stats: Omit<ManagerStats, 'byComponent'>;
  /** Every live component, parents before children, in registration order otherwise. */
  components: ComponentInfo[];
  services: Array<{ name: string; component: string | undefined }>;
}

/** Options of `snapshot()`. */
export interface SnapshotOptions {
  /** Include each component's resource list (`resourceList`). Default false. */
  readonly resources?: boolean;
  /** Only this component and its descendants. */
  readonly component?: string;
}

function componentStats(component: Component): ComponentStats {
  const byType: Record<string, TypeTotals> = {};
  for (let r = component._head; r; r = r._next) {
    const totals = (byType[r.type] ??= { count: 0, bytes: 0 });
    totals.count++;
    totals.bytes += r._size;
  }
  const added = component._added?.size ?? 0;
  if (added > 0) {
    const totals = (byType.disposable ??= { count: 0, bytes: 0 });
    totals.count += added;
  }
  return {
    type: component.type,
    state: component.state,
    resources: component.resourceCount,
    ownBytes: component.ownBytes,
    subtreeBytes: component.bytes,
    disposing: { count: component._disposingCount, bytes: component._disposingBytes },
    byType,
  };
}

/** @internal */
export function buildStats(manager: ResourceManager, components: Iterable<Component>): ManagerStats {
  const byType: Record<string, TypeTotals> = {};
  const byComponent: Record<string, ComponentStats> = {};
  let count = 0;
  for (const component of components) {
    count++;
    const stats = componentStats(component);
    byComponent[component.id] = stats;
    for (const [type, t] of Object.entries(stats.byType)) {
      const totals = (byType[type] ??= { count: 0, bytes: 0 });
      totals.count += t.count;
      totals.bytes += t.bytes;
    }
  }
  return {
    ...manager.counters(),
    components: count,
    activeResources: manager.activeResources,
    totalBytes: manager.totalBytes,
    disposing: { count: manager._disposingCount, bytes: manager._disposingBytes },
    memoryLimit: manager.memoryLimit,
    byType,
    byComponent,
  };
}

function errorText(error: unknown): string | undefined {
  if (error === undefined) return undefined;
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** @internal */
export function buildSnapshot(
  manager: ResourceManager,
  all: Iterable<Component>,
  options: SnapshotOptions | undefined,
): ManagerSnapshot {
  const { byComponent, ...stats } = buildStats(manager, all);
  const now = Date.now();
  const root = options?.component;
  const wanted = (c: Component): boolean => {
    if (root === undefined) return true;
    for (let x: Component | undefined = c; x; x = x.parent) if (x.id === root) return true;
    return false;
  };
  // Registration order already puts parents before children (a child needs a live parent).
  const components: ComponentInfo[] = [];
  for (const c of manager.components()) {
    if (!wanted(c)) continue;
    const info: ComponentInfo = {
      id: c.id,
      parent: c.parent?.id,
      children: c.children.map((child) => child.id),
      createdAt: c.createdAt,
      ageMs: now - c.createdAt,
      memoryLimit: c.memoryLimit,
      ...(byComponent[c.id] as ComponentStats),
    };
    if (c.metadata) info.metadata = c.metadata;
    const error = errorText(c.error);
    if (error) info.error = error;
    if (options?.resources) info.resourceList = c.resources().map((r) => r.toJSON());
    components.push(info);
  }
  return { takenAt: now, stats, components, services: manager.services.list() };
}
