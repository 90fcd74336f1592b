/**
 * The monitor's JSON API: what each route answers, independent of HTTP plumbing. Reads:
 * snapshot, statistics, one component's resources, plugins, memory history, the event log.
 * Actions: clean up, pause, resume a component; reload or unload a plugin; run a leak check.
 */
import type {
  CleanupReport,
  Component,
  ComponentInfo,
  ManagerSnapshot,
  ResourceInfo,
  ResourceManager,
  TypeTotals,
} from '../core/index.js';
import type { MemoryHistory } from './history.js';
import { HttpError } from './http.js';
import type { LeakFindingJson, LeakLog } from './leaks.js';
import type { PluginControl, PluginInfo, PluginProfile } from './plugin-control.js';
import type { ProcessMonitor, ProcessSample, ProcessStats } from './process-stats.js';
import { errorText, jsonSafe, type ReportJson, reportJson } from './serialize.js';

/** What the API handlers work with. */
export interface ApiContext {
  readonly manager: ResourceManager;
  readonly plugins: PluginControl | undefined;
  readonly history: MemoryHistory;
  readonly process: ProcessMonitor;
  readonly leaks: LeakLog;
  readonly startedAt: number;
}

/** Answer of `GET /api/snapshot`. */
export interface SnapshotResponse extends ManagerSnapshot {
  /** Plugins, or `null` when the monitor has no plugin host. */
  plugins: PluginInfo[] | null;
  monitor: { startedAt: number; historyIntervalMs: number; pid: number };
  /** The host process now (heap, RSS, CPU, event loop, handles). */
  process: ProcessStats;
  /** Leak findings reported since the monitor started (`GET /api/leaks` lists them). */
  leaks: { total: number };
}

/** Answer of `GET /api/components/:id/resources`. */
export interface ResourcesResponse {
  component: ComponentInfo;
  /** Resources matching the `type` filter. */
  total: number;
  offset: number;
  limit: number;
  byType: Record<string, TypeTotals>;
  resources: ResourceInfo[];
}

/** The live component `id`, or HttpError 404. */
export function componentOr404(manager: ResourceManager, id: string): Component {
  const component = manager.get(id);
  if (component === undefined) {
    throw new HttpError(
      404,
      `No live component "${id}" (it may have been cleaned up). GET /api/snapshot lists the live components.`,
    );
  }
  return component;
}

function pluginsOr404(ctx: ApiContext): PluginControl {
  if (ctx.plugins === undefined) {
    throw new HttpError(
      404,
      'This monitor has no plugin host: start it with startMonitor(manager, { plugins }) to see and manage plugins.',
    );
  }
  return ctx.plugins;
}

function integerParam(params: URLSearchParams, name: string, fallback: number, max: number): number {
  const raw = params.get(name);
  if (raw === null) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new HttpError(400, `Query parameter "${name}" must be an integer from 0 to ${max} (got "${raw}").`);
  }
  return value;
}

/** `GET /api/snapshot`: the component tree with stats, plus plugins and monitor facts. */
export function snapshot(ctx: ApiContext): SnapshotResponse {
  return {
    ...ctx.manager.snapshot(),
    plugins: ctx.plugins ? ctx.plugins.list() : null,
    monitor: { startedAt: ctx.startedAt, historyIntervalMs: ctx.history.intervalMs, pid: process.pid },
    process: ctx.process.read(),
    leaks: { total: ctx.leaks.total },
  };
}

/** `GET /api/process`: the process now and its sampled history. */
export function processInfo(
  ctx: ApiContext,
): ProcessStats & { history: { intervalMs: number; samples: ProcessSample[] } } {
  return { ...ctx.process.read(), history: ctx.process.history() };
}

/** `GET /api/leaks`: the leak findings kept (newest first) and how many there were. */
export function leaks(ctx: ApiContext): { total: number; findings: LeakFindingJson[] } {
  return { total: ctx.leaks.total, findings: ctx.leaks.list() };
}

/** `GET /api/components/:id/resources?type=&offset=&limit=`: one component's resources, oldest first. */
export function resources(ctx: ApiContext, id: string, params: URLSearchParams): ResourcesResponse {
  const component = componentOr404(ctx.manager, id);
  const offset = integerParam(params, 'offset', 0, Number.MAX_SAFE_INTEGER);
  const limit = integerParam(params, 'limit', 500, 10_000);
  const type = params.get('type');
  const info = ctx.manager.snapshot({ component: id }).components[0]!;
  const selected =
    type === null ? component.resources() : component.resources().filter((r) => r.type === type);
  return {
    component: info,
    total: selected.length,
    offset,
    limit,
    byType: info.byType,
    resources: selected.slice(offset, offset + limit).map((r) => r.toJSON()),
  };
}

/** `GET /api/plugins`. */
export function plugins(ctx: ApiContext): { plugins: PluginInfo[] } {
  return { plugins: pluginsOr404(ctx).list() };
}

/** `GET /api/history?component=`: memory over time of a component, or the totals. */
export function history(ctx: ApiContext, params: URLSearchParams): ReturnType<MemoryHistory['series']> {
  const id = params.get('component') ?? undefined;
  if (id !== undefined) componentOr404(ctx.manager, id);
  const series = ctx.history.series(id);
  if (series === undefined) {
    // Live but not (yet) followed: registered after the last sample, or beyond maxComponents.
    return { component: id, intervalMs: ctx.history.intervalMs, samples: [] };
  }
  return series;
}

/** Answer of `POST /api/components/:id/cleanup`. */
export interface CleanupResponse extends ReportJson {
  /** When the component was a plugin's: the plugins the host deactivated (dependents first). */
  deactivated?: string[];
}

/**
 * `POST /api/components/:id/cleanup`: clean the component up (never rejects: failures are in
 * the report). A plugin's own component is not cleaned behind its host's back: the plugin is
 * deactivated through the host (dependents first), so the Plugins view and the host agree.
 */
export async function cleanup(
  ctx: ApiContext,
  id: string,
  body: Record<string, unknown>,
): Promise<CleanupResponse> {
  const component = componentOr404(ctx.manager, id);
  const reason = body.reason === undefined ? 'monitor' : body.reason;
  if (typeof reason !== 'string') throw new HttpError(400, '"reason" must be a string.');
  const owner = ctx.plugins?.deactivate ? ctx.plugins.list().find((p) => p.component === id) : undefined;
  if (owner === undefined || ctx.plugins?.deactivate === undefined) {
    return reportJson(await component.cleanup({ force: true, reason }));
  }
  const before = new Set(
    ctx.plugins
      .list()
      .filter((p) => p.component !== undefined)
      .map((p) => p.id),
  );
  let reports: readonly CleanupReport[];
  try {
    ({ reports } = await ctx.plugins.deactivate(owner.id));
  } catch (error) {
    throw new HttpError(500, `Deactivating plugin "${owner.id}" failed: ${errorText(error)}`);
  }
  const after = new Map(ctx.plugins.list().map((p) => [p.id, p]));
  const merged = mergeReports(id, reason, reports.map(reportJson));
  return { ...merged, deactivated: [...before].filter((p) => after.get(p)?.component === undefined) };
}

function mergeReports(componentId: string, reason: string, reports: ReportJson[]): ReportJson {
  return {
    componentId,
    reason,
    components: reports.flatMap((r) => r.components),
    released: reports.reduce((n, r) => n + r.released, 0),
    failed: reports.flatMap((r) => r.failed),
    abandoned: reports.flatMap((r) => r.abandoned),
    durationMs: reports.reduce((n, r) => n + r.durationMs, 0),
    deadlineExceeded: reports.some((r) => r.deadlineExceeded),
  };
}

/** `POST /api/components/:id/pause` and `/resume`: move between `active` and `paused`. */
export function setPaused(ctx: ApiContext, id: string, paused: boolean): { id: string; state: string } {
  const component = componentOr404(ctx.manager, id);
  try {
    component.setState(paused ? 'paused' : 'active');
  } catch (error) {
    throw new HttpError(409, errorText(error));
  }
  return { id, state: component.state };
}

/** `POST /api/plugins/:id/reload` and `/unload`. */
export async function pluginAction(
  ctx: ApiContext,
  id: string,
  action: 'reload' | 'unload',
): Promise<{ id: string; action: string; result: unknown; plugin: PluginInfo | null }> {
  const control = pluginsOr404(ctx);
  if (!control.list().some((p) => p.id === id)) {
    throw new HttpError(404, `No plugin "${id}". GET /api/plugins lists the known plugins.`);
  }
  let result: unknown;
  try {
    result = await (action === 'reload' ? control.reload(id) : control.unload(id));
  } catch (error) {
    throw new HttpError(500, `${action} of plugin "${id}" failed: ${errorText(error)}`);
  }
  return { id, action, result: jsonSafe(result), plugin: control.list().find((p) => p.id === id) ?? null };
}

/** `POST /api/plugins/memory`: measure the bytes each inline plugin retains (a heap snapshot). */
export async function measurePluginMemory(
  ctx: ApiContext,
): Promise<{ plugins: ReadonlyArray<{ readonly id: string; readonly retainedBytes: number }> }> {
  const control = ctx.plugins;
  if (!control?.measureMemory) {
    throw new HttpError(
      404,
      'This monitor has no plugin host that can measure memory (pass plugins: pluginHostControl(host)).',
    );
  }
  return { plugins: await control.measureMemory() };
}

/** Bounds of `?seconds=` of `POST /api/plugins/:id/profile`, and its default. */
export const PROFILE_SECONDS = { min: 1, max: 60, default: 5 } as const;

/**
 * `POST /api/plugins/:id/profile?seconds=N`: a CPU profile for N seconds (default 5, 1…60) of
 * the thread plugin `id` runs on (the host's when inline, its worker's or process's own), blamed
 * on it. 409 when a profile cannot be taken now or the plugin is not active; 400 when it cannot
 * be profiled at all (a process under the permission model).
 */
export async function profilePlugin(
  ctx: ApiContext,
  id: string,
  params: URLSearchParams,
): Promise<PluginProfile> {
  const control = ctx.plugins;
  if (!control?.profile) {
    throw new HttpError(
      404,
      'This monitor has no plugin host that can take profiles (pass plugins: pluginHostControl(host)).',
    );
  }
  const raw = params.get('seconds');
  const seconds = raw === null ? PROFILE_SECONDS.default : Number(raw);
  if (
    raw === '' ||
    !Number.isInteger(seconds) ||
    seconds < PROFILE_SECONDS.min ||
    seconds > PROFILE_SECONDS.max
  ) {
    throw new HttpError(
      400,
      `Query parameter "seconds" must be a whole number of seconds from ${PROFILE_SECONDS.min} to ${PROFILE_SECONDS.max} (got "${raw}").`,
    );
  }
  const plugin = control.list().find((p) => p.id === id);
  if (plugin === undefined) {
    throw new HttpError(404, `No plugin "${id}". GET /api/plugins lists the known plugins.`);
  }
  try {
    return await control.profile(id, seconds * 1000);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'STEWARD_PROFILER_BUSY' || code === 'STEWARD_PLUGIN_STATE') {
      throw new HttpError(409, errorText(error));
    }
    if (code === 'STEWARD_PROFILE_UNSUPPORTED') throw new HttpError(400, errorText(error));
    throw new HttpError(500, `Profiling plugin "${id}" failed: ${errorText(error)}`);
  }
}

/** `POST /api/leaks/check`: run `manager.checkLeaks()` now. */
export function checkLeaks(ctx: ApiContext): { findings: ReturnType<ResourceManager['checkLeaks']> } {
  return { findings: ctx.manager.checkLeaks() };
}
