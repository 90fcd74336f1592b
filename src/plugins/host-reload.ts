/**
 * Reload with cascade: a plugin and its running dependents come down (dependents first), its
 * manifest is read again, a fresh copy of its code is imported (a new runtime, generation n + 1),
 * and what was running comes back up in graph order — with the plugins that were blocked by what
 * was reloaded. A failure anywhere is contained like any other: the plugin ends `failed`, what
 * could not come back `blocked`.
 */
import { StewardError } from '../core/index.js';
import type { PluginLifecycle } from './host-lifecycle.js';
import type { PluginRecord, PluginRegistry } from './host-registry.js';
import { type PluginManifest, readManifest } from './manifest.js';
import { isRunning, runtimeOf } from './plugin-state.js';

/** Reload `id` inside the host's queue. Returns the plugins brought back (or meant to be). */
export async function reloadPlugin(
  registry: PluginRegistry,
  lifecycle: PluginLifecycle,
  id: string,
): Promise<string[]> {
  const record = registry.record(id);
  const teardown = lifecycle.teardownOrder([id]);
  const restore = new Set(
    [...teardown].reverse().filter((p) => p === id || isRunning(registry.record(p).status.state)),
  );
  // Also bring back the plugins blocked (directly or down a chain) by what is reloaded.
  for (let grew = true; grew; ) {
    grew = false;
    for (const other of registry.records()) {
      const otherId = other.manifest.id;
      if (other.status.state === 'blocked' && !restore.has(otherId) && restore.has(other.status.by)) {
        restore.add(otherId);
        grew = true;
      }
    }
  }
  for (const p of teardown) await lifecycle.deactivate(p, p === id ? 'unloaded' : 'loaded');
  // The teardown left it `unloaded` or `failed`, its runtime ended.
  const manifest = await reread(registry, record);
  if (manifest) {
    record.manifest = manifest;
    record.generation++;
    registry.transition(record, { state: 'discovered' });
    registry.invalidateGraph();
    const { graph } = registry.applyGraph();
    for (const p of graph.order) if (restore.has(p)) await lifecycle.activate(p);
  }
  for (const p of restore) {
    const r = registry.find(p);
    if (r && !isRunning(r.status.state) && r.status.state !== 'failed' && r.status.state !== 'blocked')
      registry.block(r);
  }
  return [...restore];
}

/** The plugin's manifest read again; on a problem the plugin is failed (phase `manifest`). */
async function reread(registry: PluginRegistry, record: PluginRecord): Promise<PluginManifest | undefined> {
  const { id, source, dir, manifestPath } = record.manifest;
  try {
    const manifest = await readManifest(source === 'package' ? dir : manifestPath);
    if (manifest.id !== id) {
      throw new StewardError(
        `${manifest.manifestPath}: the plugin's id changed from "${id}" to "${manifest.id}"; ids cannot change on reload — add it as a new plugin.`,
        { code: 'STEWARD_PLUGIN_ID_CHANGED' },
      );
    }
    return manifest;
  } catch (error) {
    registry.fail(record, 'manifest', error, runtimeOf(record.status));
    return undefined;
  }
}
