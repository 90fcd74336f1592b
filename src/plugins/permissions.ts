/**
 * A plugin's permissions at run time: the manifest's block resolved to absolute paths for one
 * host (plugin folder, storage folder, allowed roots), the check every tier shares, the Node
 * permission-model flags of the process tier, and Node's `ERR_ACCESS_DENIED` read back as
 * (permission, resource). How a tier applies them: the process tier is enforced by Node itself;
 * inline and worker plugins are checked at the `ctx` level (permission-guard.ts) — a guard
 * against mistakes, not a sandbox.
 */
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { StewardError } from '../core/index.js';
import type { PluginManifest } from './manifest.js';
import { ManifestError } from './manifest-errors.js';

/** The placeholder for the plugin's private storage folder in permission paths. */
export const STORAGE_PLACEHOLDER = '$STORAGE';

/** One kind of access, named as in the manifest. */
export type PermissionName = 'fs.read' | 'fs.write' | 'childProcess' | 'worker';

/** `enforce` (default): refuse what the manifest does not allow. `audit`: refuse nothing, record every access. */
export type PermissionMode = 'enforce' | 'audit';

/** A manifest's permissions with every path absolute (symlinks of existing paths resolved). */
export interface ResolvedPermissions {
  readonly read: readonly string[];
  readonly write: readonly string[];
  readonly childProcess: boolean;
  readonly worker: boolean;
}

/** One access a plugin made or was refused. */
export interface PermissionAccess {
  readonly permission: PermissionName;
  /** The path, command or worker file. */
  readonly resource: string;
}

/** A path's real path when it exists (the permission model compares real paths), else itself. */
function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/**
 * The manifest's permissions for this host, or undefined when it declares none. Throws a
 * {@link ManifestError} naming the field when an absolute path lies outside the plugin folder,
 * its storage folder and `roots`.
 */
export function resolvePermissions(
  manifest: PluginManifest,
  storageDir: string,
  roots: readonly string[] = [],
): ResolvedPermissions | undefined {
  const declared = manifest.permissions;
  if (!declared) return undefined;
  const allowedRoots = [manifest.dir, storageDir, ...roots.map((r) => path.resolve(r))];
  const field = manifest.source === 'package' ? 'steward.permissions' : 'metadata.permissions';
  const resolve = (list: readonly string[], which: 'read' | 'write'): string[] =>
    list.map((entry, i) => {
      if (entry === STORAGE_PLACEHOLDER) return storageDir;
      if (entry.startsWith(`${STORAGE_PLACEHOLDER}/`)) return path.join(storageDir, entry.slice(9));
      if (!path.isAbsolute(entry)) {
        // "./data" that is a link to "/etc" would grant /etc: a relative path must stay inside.
        const resolved = real(path.join(manifest.dir, entry));
        if (!allowedRoots.some((root) => within(resolved, root) || within(resolved, real(root)))) {
          throw new ManifestError(
            manifest.manifestPath,
            `${field}.fs.${which}[${i}]`,
            `${JSON.stringify(entry)} is a symbolic link (or lies under one) to ${resolved}, outside the ` +
              `folders this host allows (${allowedRoots.join(', ')}); remove the link, or name its target ` +
              'as an absolute path the host allows (PluginHost option permissionRoots, ' +
              '`--permission-root` for steward run and validate)',
          );
        }
        return resolved;
      }
      if (!allowedRoots.some((root) => within(entry, root))) {
        throw new ManifestError(
          manifest.manifestPath,
          `${field}.fs.${which}[${i}]`,
          `the absolute path ${JSON.stringify(entry)} is outside the folders this host allows ` +
            `(${allowedRoots.join(', ')}); use a path inside the plugin folder or "${STORAGE_PLACEHOLDER}", ` +
            'or ask the host to allow that folder (PluginHost option permissionRoots, ' +
            '`--permission-root <dir>` for steward run and validate)',
        );
      }
      return real(entry);
    });
  return Object.freeze({
    read: Object.freeze(resolve(declared.fs.read, 'read')),
    write: Object.freeze(resolve(declared.fs.write, 'write')),
    childProcess: declared.childProcess,
    worker: declared.worker,
  });
}

/** Whether `target` is `root` or lies under it. */
export function within(target: string, root: string): boolean {
  const rel = path.relative(root, target);
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
}

/** Whether `granted` allows `access` (a folder grants everything under it; undefined allows all). */
export function allows(granted: ResolvedPermissions | undefined, access: PermissionAccess): boolean {
  if (!granted) return true;
  switch (access.permission) {
    case 'childProcess':
      return granted.childProcess;
    case 'worker':
      return granted.worker;
    case 'fs.read':
    case 'fs.write': {
      const list = access.permission === 'fs.read' ? granted.read : granted.write;
      const target = real(path.resolve(access.resource));
      return list.some((p) => within(target, p));
    }
  }
}

/**
 * The error a refused access throws in the inline and worker tiers (the `ctx` guard).
 * Code `ERR_ACCESS_DENIED` — Node's own, on purpose the one exception to `STEWARD_*` codes: a plugin
 * handles a refusal the same way in every tier, where the process tier gets Node's error.
 */
export class AccessDeniedError extends StewardError {
  static override readonly code = 'ERR_ACCESS_DENIED';
  override name = 'AccessDeniedError';
  /** The permission that is missing, as Node names it (`FileSystemRead`…). */
  readonly permission: string;
  /** The path, command or file. */
  readonly resource: string;
  constructor(plugin: string, access: PermissionAccess) {
    super(
      `Plugin "${plugin}" may not ${VERB[access.permission]} ${JSON.stringify(access.resource)}: ` +
        `its manifest does not allow it. Add it to steward.permissions${MANIFEST_FIELD[access.permission]}.`,
      { code: 'ERR_ACCESS_DENIED' },
    );
    this.permission = NODE_NAME[access.permission];
    this.resource = access.resource;
  }
}

const VERB: Record<PermissionName, string> = {
  'fs.read': 'read',
  'fs.write': 'write',
  childProcess: 'start the child process',
  worker: 'start the worker',
};
const MANIFEST_FIELD: Record<PermissionName, string> = {
  'fs.read': '.fs.read',
  'fs.write': '.fs.write',
  childProcess: '.childProcess (true)',
  worker: '.worker (true)',
};
const NODE_NAME: Record<PermissionName, string> = {
  'fs.read': 'FileSystemRead',
  'fs.write': 'FileSystemWrite',
  childProcess: 'ChildProcess',
  worker: 'WorkerThreads',
};
const FROM_NODE: Record<string, PermissionName> = Object.fromEntries(
  Object.entries(NODE_NAME).map(([k, v]) => [v, k as PermissionName]),
);

/** An `ERR_ACCESS_DENIED` (Node's or ours) as (permission, resource); undefined for any other error. */
export function deniedAccess(error: unknown): PermissionAccess | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { code?: unknown; permission?: unknown; resource?: unknown };
  if (e.code !== 'ERR_ACCESS_DENIED') return undefined;
  const permission = typeof e.permission === 'string' ? FROM_NODE[e.permission] : undefined;
  if (!permission) return undefined;
  return { permission, resource: typeof e.resource === 'string' ? e.resource : '' };
}

/** Where the Steward package this file belongs to lives (its files must be readable by a plugin process). */
export function stewardRoot(): string {
  return real(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..'));
}

/**
 * The folders a plugin process must read to start at all: Steward's own package, the plugin's
 * folder, and the `node_modules` folders Node searches from it (with the real paths of the
 * packages linked into them, as workspaces and linked installs do).
 */
export function implicitReads(manifest: PluginManifest): string[] {
  const out = new Set<string>([stewardRoot(), manifest.dir]);
  for (let dir = manifest.dir; ; dir = path.dirname(dir)) {
    const modules = path.join(dir, 'node_modules');
    if (existsSync(modules)) {
      out.add(real(modules));
      for (const link of linkedPackages(modules)) out.add(link);
    }
    if (path.dirname(dir) === dir) break;
  }
  return [...out];
}

function linkedPackages(modules: string): string[] {
  const out: string[] = [];
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(modules, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const entry of entries) {
    const full = path.join(modules, entry.name);
    if (entry.isSymbolicLink()) out.push(real(full));
    else if (entry.isDirectory() && entry.name.startsWith('@')) out.push(...linkedPackages(full));
  }
  return out;
}

/** The Node flag that turns the permission model on, for the running Node (20: experimental). */
export function permissionFlag(): string {
  return process.allowedNodeEnvironmentFlags.has('--permission')
    ? '--permission'
    : '--experimental-permission';
}

/** Node options that enforce `granted` on a plugin process of `manifest`. */
export function permissionArgs(manifest: PluginManifest, granted: ResolvedPermissions): string[] {
  const args = [permissionFlag()];
  if (args[0] === '--experimental-permission') args.push('--disable-warning=ExperimentalWarning');
  for (const p of new Set([...implicitReads(manifest), ...granted.read])) args.push(`--allow-fs-read=${p}`);
  for (const p of new Set(granted.write)) args.push(`--allow-fs-write=${p}`);
  if (granted.childProcess) args.push('--allow-child-process');
  if (granted.worker) args.push('--allow-worker');
  return args;
}
