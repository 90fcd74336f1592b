/**
 * Plugin manifests: the normalized {@link PluginManifest} and reading one from a path.
 *
 * A plugin is described either by a folder with a `package.json` carrying a `steward` block
 * (manifest-package.ts), or by a single module file exporting `export const metadata = { ... }`
 * (manifest-module.ts). Both are validated by one schema (manifest-schema.ts) and normalized into
 * one {@link PluginManifest}; every problem is a {@link ManifestError} naming file and field
 * (manifest-errors.ts). Reading a manifest never executes plugin code.
 */

import { stat } from 'node:fs/promises';
import path from 'node:path';
import { StewardError } from '../core/index.js';
import type { PluginBudget } from './manifest-budget.js';
import { invalid, ManifestError } from './manifest-errors.js';
import { loadModuleManifest } from './manifest-module.js';
import { loadPackageManifest } from './manifest-package.js';
import type { PluginPermissions } from './manifest-permissions.js';

/** File extensions recognized as single-module plugins (`.d.ts` / `.d.mts` declaration files excluded). */
export const MODULE_PLUGIN_EXTENSIONS: readonly string[] = Object.freeze(['.js', '.mjs', '.ts', '.mts']);

/**
 * Where a plugin's code runs: `inline` (same heap), `worker` (own thread and heap) or `process`
 * (own process, under Node's permission model when it declares permissions); one runtime each
 * (runtime.ts).
 */
export type PluginIsolation = 'inline' | 'worker' | 'process';

/** Per-plugin lifecycle deadlines from the manifest; absent means "use the host's default". */
export interface PluginTimeouts {
  readonly activationMs?: number;
  readonly deactivationMs?: number;
}

/**
 * A validated, normalized plugin manifest. Produced only by this module's loaders, so every field has
 * been checked: `id` matches `PLUGIN_ID_PATTERN` (manifest-schema.ts), `version` is valid semver, ranges are valid
 * semver ranges, `entry` is an existing file whose real path lies inside `dir`. The object and its
 * nested records/arrays are frozen.
 */
export interface PluginManifest {
  /** Unique plugin id (`steward.id` or `metadata.id`, defaulting to the file name for module plugins). */
  readonly id: string;
  /** Package name (package plugins) or `metadata.name` (module plugins, defaults to the id). */
  readonly name: string;
  /** Normalized semver version. */
  readonly version: string;
  /** Human-readable name; falls back to `name`. */
  readonly displayName: string;
  /** Description; empty string when not given. */
  readonly description: string;
  readonly author?: string;
  /** Required plugin dependencies: id -> semver range. */
  readonly dependencies: Readonly<Record<string, string>>;
  /** Optional plugin dependencies: id -> semver range (checked only when the dependency is present). */
  readonly optionalDependencies: Readonly<Record<string, string>>;
  /** Semver range of host versions this plugin supports; absent means any host. */
  readonly hostRange?: string;
  readonly isolation: PluginIsolation;
  /** Memory limit in bytes, if declared. */
  readonly memoryLimitBytes?: number;
  /** Service token names this plugin provides. */
  readonly provides: readonly string[];
  /** Service token names this plugin requires. */
  readonly requires: readonly string[];
  readonly timeouts: PluginTimeouts;
  /** Restart policy of a worker or process plugin that crashes: up to `maxRestarts` times, waiting `backoffMs` × 2^n. */
  readonly restart?: { readonly maxRestarts: number; readonly backoffMs: number };
  /** Health budget (event-loop utilisation, heap) and what to do when it is broken. */
  readonly budget?: PluginBudget;
  /** What the plugin may touch (`steward.permissions`); absent: it declared nothing and runs unrestricted. */
  readonly permissions?: PluginPermissions;
  /** Absolute real path (symlinks resolved) of the module to load. */
  readonly entry: string;
  /** Absolute real path of the plugin folder (the containing folder for module plugins). */
  readonly dir: string;
  /** `package`: folder with package.json; `module`: single file with a `metadata` export. */
  readonly source: 'package' | 'module';
  /** Absolute path of the file the manifest was read from (package.json or the module file). */
  readonly manifestPath: string;
}

/**
 * Outcome of reading one candidate: a valid manifest, a list of problems (all of them, not just the
 * first), or "not a plugin" (no `steward` block / no `metadata` export) with the reason.
 */
export type ManifestResult =
  | { readonly kind: 'plugin'; readonly manifest: PluginManifest }
  | { readonly kind: 'invalid'; readonly errors: readonly ManifestError[] }
  | { readonly kind: 'not-a-plugin'; readonly reason: string };

/** True when `file` has a module plugin extension (and is not a `.d.ts`/`.d.mts` declaration file). */
export function isModulePluginFile(file: string): boolean {
  return MODULE_PLUGIN_EXTENSIONS.includes(path.extname(file)) && !/\.d\.m?ts$/.test(file);
}

/**
 * Loads the manifest at `target`: a folder (package plugin) or a module file. Anything else is
 * `not-a-plugin`. See {@link loadPackageManifest} and {@link loadModuleManifest}.
 */
export async function loadPluginManifest(target: string): Promise<ManifestResult> {
  const abs = path.resolve(target);
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(abs);
  } catch (error) {
    return invalid(
      new ManifestError(abs, '', `cannot be read: ${(error as Error).message}; check that the path exists`),
    );
  }
  if (info.isDirectory()) return loadPackageManifest(abs);
  if (info.isFile() && isModulePluginFile(abs)) return loadModuleManifest(abs);
  return { kind: 'not-a-plugin', reason: 'neither a folder nor a .js/.mjs/.ts/.mts module' };
}

/**
 * Reads and validates one plugin's manifest at `target` and returns it; throws its first problem
 * (a {@link ManifestError}), or a StewardError (`STEWARD_NOT_A_PLUGIN`) when `target` is not a plugin.
 */
export async function readManifest(target: string): Promise<PluginManifest> {
  const result = await loadPluginManifest(target);
  if (result.kind === 'plugin') return result.manifest;
  if (result.kind === 'invalid') throw result.errors[0]!;
  throw new StewardError(`${target}: not a plugin (${result.reason}).`, { code: 'STEWARD_NOT_A_PLUGIN' });
}
