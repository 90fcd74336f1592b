/** Permissions as data: resolution for a host, the shared check, Node's flags, the audit's smallest block. */
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readManifest } from '../../src/plugins/manifest.js';
import { smallestPermissions } from '../../src/plugins/permission-audit.js';
import { openPermissions } from '../../src/plugins/permission-guard.js';
import { checkedPermissions } from '../../src/plugins/permission-links.js';
import {
  allows,
  deniedAccess,
  permissionArgs,
  permissionFlag,
  resolvePermissions,
  stewardRoot,
} from '../../src/plugins/permissions.js';
import { PluginFixtures } from '../helpers/plugin-fixtures.js';

let fx: PluginFixtures;
beforeEach(async () => {
  fx = await PluginFixtures.create();
});
afterEach(async () => {
  await fx[Symbol.asyncDispose]();
});

async function manifestWith(permissions: Record<string, unknown>) {
  const dir = await fx.plugin('p', { isolation: 'process', permissions, code: 'export default {};' });
  return { dir, manifest: await readManifest(dir) };
}

describe('resolvePermissions', () => {
  it('resolves ./, sub-paths and $STORAGE for this host; undeclared means unrestricted', async () => {
    const { dir, manifest } = await manifestWith({
      fs: { read: ['./', 'data', '$STORAGE/thumbs'], write: ['$STORAGE'] },
      childProcess: true,
    });
    const storage = join(fx.root, 'storage', 'p');
    const granted = resolvePermissions(manifest, storage)!;
    expect(granted).toEqual({
      read: [dir, join(dir, 'data'), join(storage, 'thumbs')],
      write: [storage],
      childProcess: true,
      worker: false,
    });
    expect(allows(granted, { permission: 'fs.read', resource: join(dir, 'index.js') })).toBe(true);
    expect(allows(granted, { permission: 'fs.write', resource: join(storage, 'a', 'b.bin') })).toBe(true);
    expect(allows(granted, { permission: 'fs.write', resource: join(dir, 'index.js') })).toBe(false);
    expect(allows(granted, { permission: 'fs.read', resource: `${dir}-sibling/x` })).toBe(false);
    expect(allows(granted, { permission: 'worker', resource: 'w.js' })).toBe(false);
    const open = await fx.plugin('open', { code: 'export default {};' });
    expect(resolvePermissions(await readManifest(open), storage)).toBeUndefined();
    expect(allows(undefined, { permission: 'childProcess', resource: 'rm' })).toBe(true);
  });

  it('a symlink out of the plugin folder does not widen a grant: the real path is checked', async () => {
    const { dir, manifest } = await manifestWith({ fs: { read: ['./'] } });
    await mkdir(join(fx.root, 'outside'));
    await writeFile(join(fx.root, 'outside', 'secret.txt'), 'x');
    await symlink(join(fx.root, 'outside'), join(dir, 'link'));
    const granted = resolvePermissions(manifest, join(fx.root, 'storage', 'p'))!;
    expect(allows(granted, { permission: 'fs.read', resource: join(dir, 'link', 'secret.txt') })).toBe(false);
  });

  it('a symlink shipped in the plugin folder or its storage may not lead outside its grants', async () => {
    const { dir, manifest } = await manifestWith({ fs: { read: ['./'], write: ['$STORAGE'] } });
    const storage = join(fx.root, 'storage', 'p');
    await mkdir(join(fx.root, 'outside'));
    await writeFile(join(fx.root, 'outside', 'secret.txt'), 'x');
    // Inside what it may read (its own files, Steward's package): fine.
    await mkdir(join(dir, 'lib', 'deep'), { recursive: true });
    await symlink(join(dir, 'index.js'), join(dir, 'lib', 'deep', 'same.js'));
    await mkdir(storage, { recursive: true });
    await symlink(stewardRoot(), join(dir, 'lib', 'steward'));
    expect(checkedPermissions(manifest, storage)?.read).toEqual([dir]);
    // Out of them, however deep: refused, naming the link and its target.
    await symlink(join(fx.root, 'outside', 'secret.txt'), join(dir, 'lib', 'deep', 'leak'));
    expect(() => checkedPermissions(manifest, storage)).toThrow(
      expect.objectContaining({
        code: 'STEWARD_MANIFEST_INVALID',
        field: 'steward.permissions',
        message: expect.stringMatching(/symbolic link .*lib\/deep\/leak points to .*outside\/secret\.txt/),
      }),
    );
    // Granting the target explicitly (in a folder the host allows) is the way out.
    expect(() => checkedPermissions(manifest, storage, [join(fx.root, 'outside')])).toThrow(/symbolic link/);
    const { manifest: explicit } = await manifestWith({
      fs: { read: ['./', join(fx.root, 'outside')], write: ['$STORAGE'] },
    });
    expect(checkedPermissions(explicit, storage, [join(fx.root, 'outside')])?.read).toContain(
      join(fx.root, 'outside'),
    );
    // A link in a write grant pointing at a file the plugin may only read would let it write there.
    await symlink(join(dir, 'index.js'), join(storage, 'own-code'));
    expect(() => checkedPermissions(explicit, storage, [join(fx.root, 'outside')])).toThrow(
      /symbolic link .*own-code points to .*index\.js, outside what the plugin may write/,
    );
  });

  it('a relative grant that is a link out of the plugin folder is refused, not widened', async () => {
    const dir = await fx.plugin('p', {
      isolation: 'process',
      permissions: { fs: { read: ['./data'] } },
      code: 'export default {};',
    });
    await mkdir(join(fx.root, 'outside'));
    await symlink(join(fx.root, 'outside'), join(dir, 'data'));
    const manifest = await readManifest(dir);
    expect(() => resolvePermissions(manifest, join(fx.root, 'storage', 'p'))).toThrow(
      expect.objectContaining({
        field: 'steward.permissions.fs.read[0]',
        message: expect.stringMatching(/"\.\/data" is a symbolic link .* to .*outside, outside the folders/),
      }),
    );
  });

  it('an absolute path outside the allowed roots is a ManifestError naming the field', async () => {
    const { manifest } = await manifestWith({ fs: { read: ['./'], write: ['/var/tmp'] } });
    expect(() => resolvePermissions(manifest, join(fx.root, 'storage', 'p'))).toThrow(
      expect.objectContaining({
        code: 'STEWARD_MANIFEST_INVALID',
        field: 'steward.permissions.fs.write[0]',
        message: expect.stringMatching(
          /"\/var\/tmp" is outside the folders this host allows .*permissionRoots/,
        ),
      }),
    );
    expect(resolvePermissions(manifest, join(fx.root, 'storage', 'p'), ['/var'])!.write).toEqual([
      '/var/tmp',
    ]);
  });
});

describe('the checks every tier shares', () => {
  it('open() flags: r reads, w and a write, + does both (strings and numbers)', () => {
    expect(openPermissions(undefined)).toEqual(['fs.read']);
    expect(openPermissions('r')).toEqual(['fs.read']);
    expect(openPermissions('w')).toEqual(['fs.write']);
    expect(openPermissions('ax')).toEqual(['fs.write']);
    expect(openPermissions('r+')).toEqual(['fs.read', 'fs.write']);
    expect(openPermissions(0)).toEqual(['fs.read']);
    expect(openPermissions(1 | 64)).toEqual(['fs.write']);
    expect(openPermissions(2)).toEqual(['fs.read', 'fs.write']);
  });

  it("reads Node's ERR_ACCESS_DENIED back as (permission, resource); other errors are not denials", () => {
    const node = Object.assign(new Error('Access to this API has been restricted'), {
      code: 'ERR_ACCESS_DENIED',
      permission: 'FileSystemWrite',
      resource: '/x',
    });
    expect(deniedAccess(node)).toEqual({ permission: 'fs.write', resource: '/x' });
    expect(deniedAccess(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBeUndefined();
    expect(deniedAccess('ERR_ACCESS_DENIED')).toBeUndefined();
  });

  it("Node's flags: the permission model for this Node, implicit reads, the grants", async () => {
    const { dir, manifest } = await manifestWith({ fs: { read: ['./'], write: ['$STORAGE'] }, worker: true });
    const storage = join(fx.root, 'storage', 'p');
    const args = permissionArgs(manifest, resolvePermissions(manifest, storage)!);
    expect(args[0]).toBe(permissionFlag());
    const major = Number(process.versions.node.split('.')[0]);
    if (major === 20) expect(permissionFlag()).toBe('--experimental-permission');
    if (major >= 23) expect(permissionFlag()).toBe('--permission');
    expect(args).toContain(`--allow-fs-read=${stewardRoot()}`);
    expect(args).toContain(`--allow-fs-read=${dir}`);
    expect(args).toContain(`--allow-fs-read=${join(fx.root, 'node_modules')}`);
    expect(args).toContain(`--allow-fs-write=${storage}`);
    expect(args).toContain('--allow-worker');
    expect(args).not.toContain('--allow-child-process');
  });
});

describe('smallestPermissions', () => {
  it('drops what another entry covers and writes paths as the manifest does', () => {
    const dir = '/srv/plugins/thumbs';
    const storageDir = '/srv/.steward/storage/thumbs';
    const block = smallestPermissions({
      plugin: 'thumbs',
      dir,
      storageDir,
      accesses: [
        { permission: 'fs.read', resource: `${dir}/data/a.json` },
        { permission: 'fs.read', resource: `${dir}/data` },
        { permission: 'fs.read', resource: `${dir}/README.md` },
        { permission: 'fs.read', resource: '/usr/share/fonts/x.ttf' },
        { permission: 'fs.write', resource: `${storageDir}/cache/1.bin` },
        { permission: 'fs.write', resource: storageDir },
        { permission: 'fs.read', resource: `${storageDir}/cache/1.bin` },
        { permission: 'childProcess', resource: 'convert' },
      ],
    });
    expect(block).toEqual({
      fs: {
        read: ['$STORAGE/cache/1.bin', './README.md', './data', '/usr/share/fonts/x.ttf'],
        write: ['$STORAGE'],
      },
      childProcess: true,
      worker: false,
      reason: expect.stringContaining('runs convert'),
    });
    // What a plugin process reads anyway (its node_modules) is not listed.
    const withModules = smallestPermissions(
      {
        plugin: 'thumbs',
        dir,
        storageDir,
        accesses: [
          { permission: 'fs.read', resource: '/srv/node_modules/sharp/lib/data.bin' },
          { permission: 'fs.read', resource: `${dir}/index.js` },
        ],
      },
      ['/srv/node_modules'],
    );
    expect(withModules.fs.read).toEqual(['./index.js']);
    expect(smallestPermissions({ plugin: 'x', dir, storageDir, accesses: [] })).toEqual({
      fs: { read: [], write: [] },
      childProcess: false,
      worker: false,
      reason: 'needs no access (recorded in audit mode)',
    });
  });
});
