/**
 * The monitor's JSON API: what each route answers, independent of HTTP plumbing. Reads:
 * snapshot, statistics, one component's resources, plugins, memory history, the event log.
 * Actions: clean up, pause, resume a component; reload or unload a plugin; run a leak check.
 */
import type {
  Component,
  ComponentInfo,
  ManagerSnapshot,
  ResourceInfo,
  ResourceManager,
  TypeTotals,
} from '../core/index.js';
import type { MemoryHistory } from './history.js';
import { HttpError } from './http.js';
import type { PluginControl, PluginInfo } from './plugin-control.js';
import { errorText, jsonSafe, type ReportJson, reportJson } from './serialize.js';

/** What the API handlers work with. */
export interface ApiContext {
  readonly manager: ResourceManager;
  readonly plugins: PluginControl | undefined;
  readonly history: MemoryHistory;
  readonly startedAt: number;
}

/** Answer of `GET /api/snapshot`. */
export interface SnapshotResponse extends ManagerSnapshot {
  /** Plugins, or `null` when the monitor has no plugin host. */
  plugins: PluginInfo[] | null;
  monitor: { startedAt: number; historyIntervalMs: number; pid: number };
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
  };
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

/** `POST /api/components/:id/cleanup`: clean the component up (never rejects: failures are in the report). */
export async function cleanup(
  ctx: ApiContext,
  id: string,
  body: Record<string, unknown>,
): Promise<ReportJson> {
  const component = componentOr404(ctx.manager, id);
  const reason = body.reason === undefined ? 'monitor' : body.reason;
  if (typeof reason !== 'string') throw new HttpError(400, '"reason" must be a string.');
  return reportJson(await component.cleanup({ force: true, reason }));
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

/** `POST /api/leaks/check`: run `manager.checkLeaks()` now. */
export function checkLeaks(ctx: ApiContext): { findings: ReturnType<ResourceManager['checkLeaks']> } {
  return { findings: ctx.manager.checkLeaks() };
}
