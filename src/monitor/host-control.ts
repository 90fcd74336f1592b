/**
 * The plugin host as the monitor sees it: `PluginControl` over a `PluginHost`. A plugin's
 * component is linked only while it is live, so a view never points at a destroyed component;
 * deactivation goes through the host, so the host and the monitor agree on what is running.
 */
import type { CleanupReport } from '../core/index.js';
import { blameProfile } from '../node/profile-blame.js';
import type { PluginInfo as HostPluginInfo, PluginHost } from '../plugins/index.js';
import type {
  PluginChangeEvent,
  PluginControl,
  PluginHeap,
  PluginInfo,
  PluginProfile,
} from './plugin-control.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Adapt `host` for `startMonitor(manager, { plugins })`. */
export function pluginHostControl(host: PluginHost): PluginControl {
  // When each plugin entered its state (the host does not keep it): from its state changes.
  const since = new Map<string, number>();
  host.on('stateChanged', ({ id }) => since.set(id, Date.now()));
  const info = (p: HostPluginInfo): PluginInfo => {
    const out: Mutable<PluginInfo> = {
      id: p.id,
      name: p.displayName,
      version: p.version,
      state: p.state,
      isolation: p.isolation,
      dependencies: p.dependencies,
      resources: p.resources,
      bytes: p.bytes,
      restarts: p.restarts,
      generation: p.generation,
    };
    const live = p.component === undefined ? undefined : host.manager.get(p.component);
    if (live !== undefined && !live.disposed) out.component = live.id;
    else if (p.component !== undefined && (p.state === 'active' || p.state === 'paused')) {
      out.error = `Its component "${p.component}" was cleaned up outside the plugin host; reload the plugin to bring it back.`;
    }
    if (p.loadMs !== undefined) out.loadMs = p.loadMs;
    if (p.activateMs !== undefined) out.activateMs = p.activateMs;
    if (p.error !== undefined) out.error ??= p.error;
    if (p.blockedBy !== undefined) out.blockedBy = p.blockedBy;
    if (p.memoryLimit !== undefined) out.memoryLimit = p.memoryLimit;
    if (p.heapUsed !== undefined) out.heapUsed = p.heapUsed;
    if (p.heapLimit !== undefined) out.heapLimit = p.heapLimit;
    if (p.pid !== undefined) out.pid = p.pid;
    if (p.rss !== undefined) out.rss = p.rss;
    if (p.cpuMs !== undefined) out.cpuMs = p.cpuMs;
    if (p.threadId !== undefined) out.threadId = p.threadId;
    if (p.retainedBytes !== undefined) out.retainedBytes = p.retainedBytes;
    if (p.retainedAt !== undefined) out.retainedAt = p.retainedAt;
    if (p.cpuShare !== undefined) out.cpuShare = p.cpuShare;
    if (p.cpuShareAt !== undefined) out.cpuShareAt = p.cpuShareAt;
    if (p.health !== undefined) {
      const h = p.health;
      out.health = {
        responsive: h.responsive,
        ...(h.elu !== undefined && { elu: h.elu }),
        ...(h.heapUsed !== undefined && { heapUsed: h.heapUsed }),
        ...(h.longestBlockMs !== undefined && { longestBlockMs: h.longestBlockMs }),
      };
    }
    const at = since.get(p.id);
    if (at !== undefined) out.since = at;
    return out;
  };
  return {
    list: () => host.list().map(info),
    reload: (id) => host.reload(id),
    unload: (id) => host.unload(id),
    measureMemory: () => host.measureMemory(),
    profile: (id, ms) => profilePlugin(host, id, ms),
    heap: (id) => heapOf(host, id),
    async deactivate(id) {
      const reports: CleanupReport[] = [];
      const sub = host.on('deactivated', ({ report }) => {
        if (report) reports.push(report);
      });
      try {
        await host.deactivate(id);
      } finally {
        sub.dispose();
      }
      return { reports };
    },
    onChange(listener) {
      const emit = (event: PluginChangeEvent): void => listener(event);
      const subscriptions = [
        host.on('stateChanged', ({ id, to }) => emit({ type: 'stateChanged', id, state: to })),
        host.on('reloaded', ({ id }) =>
          emit({ type: 'reloaded', id, state: host.get(id)?.state ?? 'unknown' }),
        ),
        host.on('failed', ({ id }) => emit({ type: 'failed', id, state: 'failed' })),
        host.on('access', ({ id, permission, resource, denied }) => {
          if (denied) emit({ type: 'permissionDenied', id, detail: { permission, resource } });
        }),
      ];
      const dispose = (): void => {
        for (const s of subscriptions) s.dispose();
      };
      return { [Symbol.dispose]: dispose };
    },
  };
}

/**
 * Profile the thread plugin `id` runs on for `ms` (`host.profile`) and blame the samples on it:
 * inline, every inline plugin is a root, so a plugin nested in another's folder keeps its own
 * samples; a worker's or process's samples are blamed on its plugin alone.
 */
async function profilePlugin(host: PluginHost, id: string, ms: number): Promise<PluginProfile> {
  const started = Date.now();
  const { profile, roots, isolation } = await host.profile(id, ms);
  const blame = blameProfile(profile, roots);
  const own = blame.owners.find((o) => o.id === id);
  return {
    id,
    isolation,
    durationMs: Date.now() - started,
    samples: blame.total,
    pluginSamples: own?.samples ?? 0,
    share: own?.share ?? 0,
    ...(own?.hottest !== undefined && { hottest: own.hottest }),
    profile,
  };
}

/** A heap snapshot of plugin `id`'s isolate (`host.heapSnapshot`), as the monitor sends it. */
async function heapOf(host: PluginHost, id: string): Promise<PluginHeap> {
  const { isolation, stream, own } = await host.heapSnapshot(id);
  return { summary: { id, isolation, ...(own !== undefined && { own }) }, stream };
}
