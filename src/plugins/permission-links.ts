/**
 * Symbolic links against a plugin's permissions. Node's permission model follows symlinks: a
 * process plugin granted its own folder may read whatever a link shipped in that folder points
 * at. So before a plugin with a `permissions` block is hosted, its folder (with its own
 * `node_modules`) and its storage folder are walked, and a link whose real target lies outside
 * every folder the plugin may read anyway — its grants and the implicit reads (Steward's package,
 * its folder, the `node_modules` it resolves from) — refuses the plugin with a
 * {@link ManifestError} naming the link and its target. A link inside a write-granted folder must
 * also point inside a write grant (Node would let writes through it). Links between granted
 * folders (workspace packages in `node_modules`) are fine. Folders outside the plugin's (the
 * host's `node_modules`, `permissionRoots`) are the host's and are not walked.
 */
import { type Dirent, existsSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { PluginManifest } from './manifest.js';
import { displayPath, ManifestError } from './manifest-errors.js';
import { implicitReads, type ResolvedPermissions, resolvePermissions, within } from './permissions.js';

/** Most entries walked in a plugin's folder and storage; a larger folder is refused, not half-checked. */
export const LINK_SCAN_MAX_ENTRIES = 200_000;

/** A link's real target, or where it points when that does not exist (a dangling link). */
function target(link: string): string {
  try {
    return realpathSync(link);
  } catch {
    try {
      return path.resolve(path.dirname(link), readlinkSync(link));
    } catch {
      return link;
    }
  }
}

function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** Every symbolic link under `roots` (links to folders are not followed). */
function linksUnder(manifest: PluginManifest, roots: readonly string[]): string[] {
  const links: string[] = [];
  let seen = 0;
  const stack = roots.filter((r) => existsSync(r));
  while (stack.length > 0) {
    const dir = stack.pop()!;
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      continue; // unreadable: the plugin cannot read it either
    }
    for (const entry of entries) {
      if (++seen > LINK_SCAN_MAX_ENTRIES) {
        throw new ManifestError(
          manifest.manifestPath,
          'permissions',
          `the plugin's folders hold more than ${LINK_SCAN_MAX_ENTRIES} entries, too many to check for ` +
            'symbolic links that would leave its permissions; bundle its dependencies, or drop the ' +
            '"permissions" block and run it only if it is trusted',
        );
      }
      const full = path.join(dir, entry.name);
      if (entry.isSymbolicLink()) links.push(full);
      else if (entry.isDirectory()) stack.push(full);
    }
  }
  return links;
}

/**
 * Throws a {@link ManifestError} when a symbolic link in the plugin's folder or `storageDir`
 * leads outside what `granted` (with the implicit reads) lets it read, or out of a write grant.
 */
export function checkPermissionLinks(
  manifest: PluginManifest,
  granted: ResolvedPermissions,
  storageDir: string,
): void {
  const realRoots = (list: readonly string[]) => [...new Set([...list, ...list.map(real)])];
  const reads = realRoots([...implicitReads(manifest), ...granted.read]);
  const writes = realRoots(granted.write);
  const field = manifest.source === 'package' ? 'steward.permissions' : 'metadata.permissions';
  for (const link of linksUnder(manifest, [manifest.dir, storageDir])) {
    const to = target(link);
    const outsideRead = !reads.some((root) => within(to, root));
    const inWrite = writes.some((root) => within(link, root));
    const outsideWrite = inWrite && !writes.some((root) => within(to, root));
    if (!outsideRead && !outsideWrite) continue;
    const grant = outsideWrite ? 'fs.write' : 'fs.read';
    throw new ManifestError(
      manifest.manifestPath,
      field,
      `the symbolic link ${displayPath(link)} points to ${to}, outside what the plugin may ` +
        `${outsideWrite ? 'write' : 'read'} (Node's permission model follows links, so it would give the ` +
        `plugin that file); remove the link, or grant its target explicitly in ${field}.${grant} ` +
        '(an absolute path needs the host to allow its folder: PluginHost option permissionRoots, ' +
        '`--permission-root` for steward run and validate)',
    );
  }
}

/**
 * The manifest's permissions for this host, checked as the host checks them before hosting the
 * plugin: {@link resolvePermissions} (paths and allowed roots), then {@link checkPermissionLinks}.
 * Undefined when it declares none. Throws a {@link ManifestError}.
 */
export function checkedPermissions(
  manifest: PluginManifest,
  storageDir: string,
  roots: readonly string[] = [],
): ResolvedPermissions | undefined {
  const granted = resolvePermissions(manifest, storageDir, roots);
  if (granted) checkPermissionLinks(manifest, granted, storageDir);
  return granted;
}
