/**
 * Plugin discovery: scan plugin folders for candidates and validate their manifests, without executing
 * any plugin code.
 */
import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { StewardTypeError } from '../core/errors.js';
import { isModulePluginFile, type ManifestResult, type PluginManifest } from './manifest.js';
import { displayPath, ManifestError } from './manifest-errors.js';
import { loadModuleManifest } from './manifest-module.js';
import { loadPackageManifest, NO_STEWARD_BLOCK } from './manifest-package.js';
import { satisfies, validVersion } from './versions.js';

/** Options for {@link discoverPlugins}. */
export interface DiscoveryOptions {
  /**
   * The host's version. When given, a plugin whose `host` range excludes it is left out and reported as a
   * {@link ManifestError} on `steward.host` / `metadata.host`. Leave it unset and pass it to
   * `resolvePluginGraph` instead if you want the plugin's dependents reported as `blocked` by it.
   */
  readonly hostVersion?: string;
}

/**
 * What {@link discoverPlugins} found: valid manifests, every problem (each tied to a file and
 * field), and the entries looked at and passed over as not plugins, with why — what a "no
 * plugins found" hint is made of (e.g. a package.json without a `steward` block).
 */
export interface DiscoveryResult {
  readonly plugins: PluginManifest[];
  readonly errors: ManifestError[];
  readonly skipped: Array<{ readonly path: string; readonly reason: string }>;
}

/** How many candidates are read at once (keeps file-descriptor use bounded for large plugin folders). */
const CONCURRENCY = 32;

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function byPath(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Entries of one plugin folder that may be plugins, sorted by path; unreadable folders become errors. */
async function listCandidates(dir: string, errors: ManifestError[]): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return []; // an optional plugin folder (e.g. per-user) that does not exist yet
    errors.push(
      new ManifestError(
        dir,
        '',
        code === 'ENOTDIR'
          ? 'is not a folder; pass the folder that contains the plugins'
          : `cannot be listed: ${(error as Error).message}; check its permissions`,
      ),
    );
    return [];
  }
  const candidates: string[] = [];
  for (const entry of entries) {
    const name = entry.name;
    if (name.startsWith('.') || name.startsWith('_') || name === 'node_modules') continue;
    const full = path.join(dir, name);
    if (entry.isDirectory() || (entry.isFile() && isModulePluginFile(name))) candidates.push(full);
    else if (entry.isSymbolicLink()) candidates.push(full); // resolved (and checked) when loaded
  }
  return candidates.sort(byPath);
}

async function loadCandidate(candidate: string): Promise<ManifestResult> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(candidate);
  } catch (error) {
    return {
      kind: 'invalid',
      errors: [
        new ManifestError(
          candidate,
          '',
          `is a broken symbolic link (${(error as Error).message}); fix or remove it, or rename it to start with "_" to skip it`,
        ),
      ],
    };
  }
  if (info.isDirectory()) return loadPackageManifest(candidate);
  if (info.isFile() && isModulePluginFile(candidate)) return loadModuleManifest(candidate);
  return { kind: 'not-a-plugin', reason: 'not a folder or a module file' };
}

function idField(manifest: PluginManifest, leaf: string): string {
  return `${manifest.source === 'package' ? 'steward' : 'metadata'}.${leaf}`;
}

/**
 * Scans each folder in `dirs` (in the given order) for plugins: sub-folders whose package.json has a
 * `steward` block, and `.js`/`.mjs`/`.ts`/`.mts` files with `export const metadata = { ... }`. Entries
 * whose names start with `.` or `_`, and `node_modules`, are skipped; a folder in `dirs` that does not
 * exist is ignored.
 *
 * Guarantees: no plugin code is executed (module files are parsed, not imported); one bad plugin never
 * affects the others (its problems go to `errors`); results are deterministic: folders in the order
 * given, entries sorted by path within each. When two plugins share an id the first found is kept and
 * the second is rejected with an error naming both files.
 */
export async function discoverPlugins(
  dirs: readonly string[],
  options: DiscoveryOptions = {},
): Promise<DiscoveryResult> {
  const { hostVersion } = options;
  if (hostVersion !== undefined && validVersion(hostVersion) === undefined) {
    throw new StewardTypeError(
      `discoverPlugins: hostVersion ${JSON.stringify(hostVersion)} is not a valid semver version`,
    );
  }
  const errors: ManifestError[] = [];
  const skipped: Array<{ path: string; reason: string }> = [];
  const seenDirs = new Set<string>();
  const candidates: string[] = [];
  const folders: Array<{ dir: string; first: number; end: number }> = [];
  for (const dir of dirs) {
    const abs = path.resolve(dir);
    if (seenDirs.has(abs)) continue;
    seenDirs.add(abs);
    const first = candidates.length;
    candidates.push(...(await listCandidates(abs, errors)));
    folders.push({ dir: abs, first, end: candidates.length });
  }

  const results = await mapLimit(candidates, CONCURRENCY, loadCandidate);
  // A folder that holds no plugin but is one itself was passed where its parent was meant.
  for (const { dir, first, end } of folders) {
    if (results.slice(first, end).some((r) => r.kind !== 'not-a-plugin')) continue;
    const itself = await loadPackageManifest(dir);
    if (itself.kind === 'not-a-plugin') {
      if (itself.reason === NO_STEWARD_BLOCK) skipped.push({ path: dir, reason: itself.reason });
      continue;
    }
    // A package.json that is not even JSON says nothing about being a plugin.
    if (itself.kind === 'invalid' && itself.errors.some((e) => e.field === '')) continue;
    errors.push(
      new ManifestError(
        dir,
        '',
        'is a plugin folder itself (its package.json has a "steward" block), not a folder of plugins; ' +
          `pass the folder that contains it instead: ${displayPath(path.dirname(dir))}`,
      ),
    );
  }
  const plugins: PluginManifest[] = [];
  const byId = new Map<string, PluginManifest>();
  for (const [index, result] of results.entries()) {
    if (result.kind === 'not-a-plugin') {
      skipped.push({ path: candidates[index]!, reason: result.reason });
      continue;
    }
    if (result.kind === 'invalid') {
      errors.push(...result.errors);
      continue;
    }
    const manifest = result.manifest;
    const first = byId.get(manifest.id);
    if (first) {
      errors.push(
        new ManifestError(
          manifest.manifestPath,
          idField(manifest, 'id'),
          `duplicate plugin id "${manifest.id}", already used by ${first.manifestPath}; this one was not loaded. ` +
            'Give one of them a different id or remove the duplicate',
        ),
      );
      continue;
    }
    if (
      hostVersion !== undefined &&
      manifest.hostRange !== undefined &&
      !satisfies(hostVersion, manifest.hostRange)
    ) {
      errors.push(
        new ManifestError(
          manifest.manifestPath,
          idField(manifest, 'host'),
          `plugin "${manifest.id}" supports host versions ${manifest.hostRange}, but this host is ${hostVersion}; ` +
            'install a version of the plugin made for this host, or widen the range if it is known to work',
        ),
      );
      continue;
    }
    byId.set(manifest.id, manifest);
    plugins.push(manifest);
  }
  return { plugins, errors, skipped };
}
