/**
 * What an unload verification reports: the findings of a batch (a message per object still
 * reachable, with its holder, path and bytes, or per probe that survived when there is no
 * snapshot), reported on the plugin's component too; and which module URLs are a plugin's code
 * (`codeOf`), as the heap analysis and `measureMemory` match them.
 */
import { relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ResourceManager } from '../core/index.js';
import type { RetainedFinding, UnloadedCode } from '../node/leak-forensics.js';
import type { PluginManifest } from './manifest.js';
import type { PendingUnload, UnloadFinding } from './unload-types.js';

/**
 * The findings of one batch — from the snapshot's retainer paths when there is one, else from
 * the probes that survived — plus remote plugins whose thread or process still runs; each one is
 * also reported on the plugin's component through `manager`.
 * @internal
 */
export function unloadFindings(
  manager: ResourceManager,
  gcCycles: number,
  batch: PendingUnload[],
  alive: Set<string>,
  found: RetainedFinding[] | undefined,
  error: string | undefined,
): UnloadFinding[] {
  const out: UnloadFinding[] = [];
  const byId = new Map(batch.map((p) => [p.watch.manifest.id, p]));
  if (found) {
    for (const f of found) {
      const pending = byId.get(f.key);
      if (!pending) continue;
      const disposed =
        f.keeps.length === 0 &&
        pending.probes.some((p) => p.kind === 'disposed-but-reachable' && p.info.what === f.object);
      const kind: UnloadFinding['kind'] = disposed ? 'disposed-but-reachable' : 'retained-after-unload';
      const keeps = f.keeps.length > 0 ? `, keeping ${f.keeps.map((k) => k.what).join(', ')} alive` : '';
      const times = f.count > 1 ? ` (×${f.count})` : '';
      out.push({
        kind,
        plugin: f.key,
        message: `Plugin "${f.key}" ${pending.watch.unloaded ? 'was unloaded' : 'was deactivated'} but ${f.object}${times} is still reachable, held by ${f.holder}${keeps}; ${formatBytes(f.retainedBytes)} retained.`,
        object: f.object,
        holder: f.holder,
        path: f.path,
        site: f.site,
        stack: f.keeps.find((k) => k.stack)?.stack ?? (f.site?.includes('\n') ? f.site : undefined),
        count: f.count,
        retainedBytes: f.retainedBytes,
      });
    }
  } else {
    for (const p of batch) {
      for (const { probe, info, kind } of p.probes) {
        if (!alive.has(probe.label)) continue;
        out.push({
          kind,
          plugin: info.key,
          message: `Plugin "${info.key}" was ${p.watch.unloaded ? 'unloaded' : 'deactivated'} but ${info.what} is still reachable after ${gcCycles} full collections${error ? ` (${error})` : ''}.`,
          object: info.what,
          holder: undefined,
          path: undefined,
          site: undefined,
          stack: info.stack,
          count: 1,
          retainedBytes: undefined,
        });
      }
    }
  }
  for (const p of batch) {
    if (!p.thread?.running()) continue;
    const id = p.watch.manifest.id;
    out.push({
      kind: 'retained-after-unload',
      plugin: id,
      message: `Plugin "${id}" was ${p.watch.unloaded ? 'unloaded' : 'deactivated'} but its ${p.thread.what} is still running.`,
      object: p.thread.what,
      holder: undefined,
      path: undefined,
      site: undefined,
      stack: undefined,
      count: 1,
      retainedBytes: undefined,
    });
  }
  for (const f of out) {
    const component = byId.get(f.plugin)!.watch.component;
    try {
      manager.reportLeak({
        kind: f.kind,
        component,
        message: f.message,
        stack: f.stack ?? f.site,
        retainerPath: f.path,
        retainedBytes: f.retainedBytes,
        plugin: f.plugin,
        holder: f.holder,
        count: f.count,
      });
    } catch {
      // A manager disposed meanwhile (a host a test disposed): the verdict still carries it.
    }
  }
  return out;
}

/** The module URLs of one generation of a plugin, as the loader imported them (loader.ts). */
export function codeOf(manifest: PluginManifest, generation: number): UnloadedCode {
  const folder = manifest.source === 'package';
  const root = pathToFileURL(folder ? manifest.dir + sep : manifest.entry).href;
  const cwd = process.cwd();
  return {
    key: manifest.id,
    matches: (url) => {
      if (!url.startsWith(root)) return false;
      const q = url.indexOf('?');
      const path = q < 0 ? url : url.slice(0, q);
      if (path.slice(root.length).includes('node_modules/')) return false;
      const gen = q < 0 ? null : new URLSearchParams(url.slice(q)).get('steward-gen');
      return generation === 0 ? gen === null : gen === String(generation);
    },
    display: (url) => displayUrl(url, cwd),
  };
}

/** A module URL as shown: its path relative to the working directory when below it, no query. */
export function displayUrl(url: string, cwd = process.cwd()): string {
  if (!url.startsWith('file:')) return url;
  const path = decodeURIComponent(new URL(url).pathname);
  const rel = relative(cwd, path);
  return rel.startsWith('..') ? path : rel;
}

/** Bytes as shown in a finding's message. */
function formatBytes(bytes: number): string {
  return bytes >= 2 ** 20
    ? `${(bytes / 2 ** 20).toFixed(1)} MiB`
    : bytes >= 1024
      ? `${(bytes / 1024).toFixed(1)} KiB`
      : `${bytes} B`;
}
