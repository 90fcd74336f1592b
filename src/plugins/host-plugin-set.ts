/**
 * The host's plugin set: what `discover` and `add` put in the registry (a manifest the host's
 * permission rules refuse never enters it), what `start` reports of it, and the on-demand memory
 * figures of its inline plugins. Helpers of `host.ts`, run inside its serialized operations.
 */
import { resolve as resolvePath } from 'node:path';
import { type Emitter, StewardError } from '../core/index.js';
import { captureAndMeasure } from '../node/heap-capture.js';
import { discoverPlugins } from './discovery.js';
import type { PluginEvents } from './events.js';
import {
  type PluginHostOptions,
  type PluginInfo,
  pluginStorageDir,
  type StartSummary,
} from './host-options.js';
import type { PluginRegistry } from './host-registry.js';
import { type PluginManifest, readManifest } from './manifest.js';
import { ManifestError } from './manifest-errors.js';
import { checkedPermissions } from './permission-links.js';
import { isRunning, runtimeOf } from './plugin-state.js';
import { codeOf } from './unload-verifier.js';

/** The {@link ManifestError} the host's permission rules find in `manifest` (paths, roots, links). */
function permissionProblem(options: PluginHostOptions, manifest: PluginManifest): ManifestError | undefined {
  try {
    checkedPermissions(manifest, pluginStorageDir(options, manifest.id), options.permissionRoots);
    return undefined;
  } catch (error) {
    if (error instanceof ManifestError) return error;
    throw error;
  }
}

/** `PluginHost.discover`: scan `dirs`, add the plugins not known yet, apply the graph. */
export async function discoverInto(
  registry: PluginRegistry,
  events: Emitter<PluginEvents>,
  options: PluginHostOptions,
  dirs: readonly string[],
): Promise<{ added: string[]; errors: ManifestError[] }> {
  const found = await discoverPlugins(dirs);
  const added: string[] = [];
  const errors = [...found.errors];
  for (const manifest of found.plugins) {
    if (registry.find(manifest.id)) continue;
    // A permissions block this host would refuse at load rejects the manifest here.
    const refused = permissionProblem(options, manifest);
    if (refused) {
      errors.push(refused);
      continue;
    }
    registry.add(manifest);
    added.push(manifest.id);
  }
  for (const error of errors) events.emit('discoveryError', { error });
  registry.applyGraph();
  return { added, errors };
}

/** `PluginHost.add`: one plugin from its folder or module file, validated like discovery. */
export async function addFromPath(
  registry: PluginRegistry,
  options: PluginHostOptions,
  path: string,
): Promise<PluginInfo> {
  const manifest = await readManifest(resolvePath(path));
  const refused = permissionProblem(options, manifest);
  if (refused) throw refused;
  const existing = registry.find(manifest.id);
  if (existing && existing.manifest.manifestPath !== manifest.manifestPath) {
    throw new StewardError(
      `Plugin id "${manifest.id}" from ${manifest.manifestPath} is already used by ${existing.manifest.manifestPath}. ` +
        'Give one of them another steward.id.',
      { code: 'STEWARD_PLUGIN_ID_TAKEN' },
    );
  }
  const record = existing ?? registry.add(manifest);
  registry.applyGraph();
  return registry.info(record);
}

/** What `PluginHost.start` resolves with: the plugins by end state, and every error met. */
export function startSummary(registry: PluginRegistry, errors: StartSummary['errors']): StartSummary {
  const summary: StartSummary = { active: [], failed: [], blocked: [], errors: [...errors] };
  for (const record of registry.records()) {
    const { state } = record.status;
    if (isRunning(state)) summary.active.push(record.manifest.id);
    else if (state === 'failed') summary.failed.push(record.manifest.id);
    else if (state === 'blocked') summary.blocked.push(record.manifest.id);
  }
  return summary;
}

/** `PluginHost.measureMemory`: the loaded inline plugins' retained bytes, from one heap snapshot. */
export async function measureInlineMemory(
  registry: PluginRegistry,
  options: { readonly snapshotDir?: string },
): Promise<Array<{ readonly id: string; readonly retainedBytes: number; readonly objects: number }>> {
  const records = [...registry.records()].filter((r) => {
    const runtime = runtimeOf(r.status);
    return runtime !== undefined && runtime.isolation === 'inline';
  });
  const measured = await captureAndMeasure(
    records.map((r) => codeOf(r.manifest, r.generation)),
    { dir: options.snapshotDir },
  );
  const at = Date.now();
  return records.map((r) => {
    const m = measured.get(r.manifest.id) ?? { retainedBytes: 0, objects: 0 };
    r.retained = { bytes: m.retainedBytes, at, generation: r.generation };
    return { id: r.manifest.id, retainedBytes: m.retainedBytes, objects: m.objects };
  });
}
