import { existsSync } from 'node:fs';
import { symlink, writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { discoverPlugins } from '../../src/plugins/discovery.js';
import { ManifestError } from '../../src/plugins/manifest-errors.js';
import { makeTempDir, packageJson, packagePlugin, type TempDir } from './fixtures.js';

let tmp: TempDir;
beforeEach(async () => {
  tmp = await makeTempDir();
});
afterEach(async () => {
  await tmp.remove();
});

describe('discoverPlugins', () => {
  it('finds package and module plugins, sorted by path, skipping what is not a plugin', async () => {
    await tmp.write({
      ...packagePlugin('plugins/zeta', 'zeta'),
      ...packagePlugin('plugins/alpha', 'alpha', { dependencies: { zeta: '^1.0.0' } }),
      'plugins/beta.js': `export const metadata = { id: 'beta', version: '1.0.0' };\n`,
      'plugins/gamma.ts': `export const metadata: { id: string; version: string } = { id: 'gamma', version: '1.0.0' };\n`,
      'plugins/delta.mjs': `export const metadata = { version: '3.0.0' };\n`,
      // skipped by name
      ...packagePlugin('plugins/_disabled', 'disabled'),
      ...packagePlugin('plugins/.hidden', 'hidden'),
      ...packagePlugin('plugins/node_modules/dep', 'dep'),
      'plugins/_draft.js': `export const metadata = { id: 'draft', version: '1.0.0' };\n`,
      // not plugins
      'plugins/lib/package.json': { name: 'lib', version: '1.0.0' },
      'plugins/assets/logo.svg': '<svg/>',
      'plugins/helper.js': 'export const helper = 1;\n',
      'plugins/types.d.ts': 'export declare const metadata: { id: string };\n',
      'plugins/README.md': '# plugins\n',
    });
    const { plugins, errors } = await discoverPlugins([tmp.path('plugins')]);
    expect(errors).toEqual([]);
    expect(plugins.map((p) => p.id)).toEqual(['alpha', 'beta', 'delta', 'gamma', 'zeta']);
    expect(plugins.map((p) => p.source)).toEqual(['package', 'module', 'module', 'module', 'package']);
    expect(plugins[0]!.dependencies).toEqual({ zeta: '^1.0.0' });
  });

  it('keeps good plugins when another one is invalid', async () => {
    await tmp.write({
      ...packagePlugin('plugins/good', 'good'),
      ...packagePlugin('plugins/bad', 'Bad Name', { isolation: 'thread' }),
      'plugins/broken.js': 'export const metadata = { id: "broken", version: "1.0.0" ;\n',
      'plugins/nonliteral.js': 'export const metadata = { id: "x", version: String(1) };\n',
      'plugins/json/package.json': '{ "steward": ',
    });
    const { plugins, errors } = await discoverPlugins([tmp.path('plugins')]);
    expect(plugins.map((p) => p.id)).toEqual(['good']);
    expect(errors.every((e) => e instanceof ManifestError)).toBe(true);
    expect(errors.map((e) => [e.file, e.field])).toEqual([
      [tmp.path('plugins', 'bad', 'package.json'), 'steward.id'],
      [tmp.path('plugins', 'bad', 'package.json'), 'steward.isolation'],
      [tmp.path('plugins', 'broken.js'), ''],
      [tmp.path('plugins', 'json', 'package.json'), ''],
      [tmp.path('plugins', 'nonliteral.js'), 'metadata.version'],
    ]);
  });

  it('rejects the second of two plugins with the same id, naming both files', async () => {
    await tmp.write({
      ...packagePlugin('plugins/a-first', 'same'),
      'plugins/b-second.js': `export const metadata = { id: 'same', version: '2.0.0' };\n`,
    });
    const { plugins, errors } = await discoverPlugins([tmp.path('plugins')]);
    expect(plugins.map((p) => p.manifestPath)).toEqual([tmp.path('plugins', 'a-first', 'package.json')]);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.file).toBe(tmp.path('plugins', 'b-second.js'));
    expect(errors[0]!.field).toBe('metadata.id');
    expect(errors[0]!.message).toContain(tmp.path('plugins', 'a-first', 'package.json'));
    expect(errors[0]!.message).toContain(tmp.path('plugins', 'b-second.js'));
    expect(errors[0]!.message).toMatch(/duplicate plugin id "same".*different id/);
  });

  it('scans folders in the given order (the first wins on duplicates) and ignores missing ones', async () => {
    await tmp.write({
      ...packagePlugin('user/shared', 'shared', {}, { version: '2.0.0' }),
      ...packagePlugin('builtin/shared', 'shared'),
      ...packagePlugin('builtin/core', 'core'),
      'user/extra.js': `export const metadata = { version: '1.0.0' };\n`,
    });
    const { plugins, errors } = await discoverPlugins([
      tmp.path('builtin'),
      tmp.path('does-not-exist'),
      tmp.path('user'),
      tmp.path('builtin'),
    ]);
    expect(plugins.map((p) => `${p.id}@${p.version}`)).toEqual(['core@1.0.0', 'shared@1.0.0', 'extra@1.0.0']);
    expect(errors.map((e) => e.file)).toEqual([tmp.path('user', 'shared', 'package.json')]);
  });

  it('reports a plugin folder path that is a file, and broken symlinks', async () => {
    await tmp.write({ 'file.txt': 'x', ...packagePlugin('plugins/ok', 'ok') });
    await symlink(tmp.path('nowhere'), tmp.path('plugins', 'dangling'));
    const { plugins, errors } = await discoverPlugins([tmp.path('file.txt'), tmp.path('plugins')]);
    expect(plugins.map((p) => p.id)).toEqual(['ok']);
    expect(errors.map((e) => e.problem)).toEqual([
      expect.stringMatching(/is not a folder/),
      expect.stringMatching(/broken symbolic link.*rename it to start with "_"/),
    ]);
  });

  it('follows symlinked plugin folders and module files', async () => {
    await tmp.write({
      ...packagePlugin('elsewhere/linked', 'linked'),
      'elsewhere/single.js': `export const metadata = { version: '1.0.0' };\n`,
      'plugins/.keep': '',
    });
    await symlink(tmp.path('elsewhere', 'linked'), tmp.path('plugins', 'linked'));
    await symlink(tmp.path('elsewhere', 'single.js'), tmp.path('plugins', 'single.js'));
    const { plugins, errors } = await discoverPlugins([tmp.path('plugins')]);
    expect(errors).toEqual([]);
    expect(plugins.map((p) => [p.id, p.entry])).toEqual([
      ['linked', tmp.path('elsewhere', 'linked', 'index.js')],
      ['single', tmp.path('elsewhere', 'single.js')],
    ]);
  });

  it('reports entry points that escape the plugin folder, via ../ and via a symlink', async () => {
    await tmp.write({
      'outside.js': '',
      'plugins/dots/package.json': packageJson('dots', {}, { exports: './../../outside.js' }),
      'plugins/linky/package.json': packageJson('linky'),
    });
    await symlink(tmp.path('outside.js'), tmp.path('plugins', 'linky', 'index.js'));
    const { plugins, errors } = await discoverPlugins([tmp.path('plugins')]);
    expect(plugins).toEqual([]);
    expect(errors.map((e) => [e.file, e.field])).toEqual([
      [tmp.path('plugins', 'dots', 'package.json'), 'exports'],
      [tmp.path('plugins', 'linky', 'package.json'), 'exports'],
    ]);
  });

  it('filters out plugins made for another host when hostVersion is given', async () => {
    await tmp.write({
      ...packagePlugin('plugins/old', 'old', { host: '^1.0.0' }),
      ...packagePlugin('plugins/new', 'new', { host: '>=2.0.0' }),
      ...packagePlugin('plugins/any', 'any'),
      'plugins/mod.js': `export const metadata = { version: '1.0.0', host: '<2' };\n`,
    });
    const all = await discoverPlugins([tmp.path('plugins')]);
    expect(all.plugins).toHaveLength(4);
    const { plugins, errors } = await discoverPlugins([tmp.path('plugins')], { hostVersion: '2.1.0' });
    expect(plugins.map((p) => p.id)).toEqual(['any', 'new']);
    expect(errors.map((e) => e.field)).toEqual(['metadata.host', 'steward.host']);
    expect(errors[1]!.message).toMatch(
      /supports host versions \^1\.0\.0, but this host is 2\.1\.0; install a version/,
    );
    await expect(discoverPlugins([tmp.path('plugins')], { hostVersion: 'two' })).rejects.toThrow(TypeError);
  });

  it('never executes plugin code', async () => {
    const marker = tmp.path('executed.txt');
    const payload = `import { writeFileSync } from 'node:fs';
writeFileSync(${JSON.stringify(marker)}, 'ran');
globalThis.__stewardExecuted = true;
throw new Error('plugin code ran during discovery');
`;
    await tmp.write({
      'plugins/evil.js': `${payload}export const metadata = { id: 'evil', version: '1.0.0' };\n`,
      'plugins/evil-ts.ts': `${payload}export const metadata: object = { id: 'evil-ts', version: '1.0.0' };\n`,
      'plugins/evil-pkg/package.json': packageJson('evil-pkg'),
      'plugins/evil-pkg/index.js': payload,
    });
    const { plugins, errors } = await discoverPlugins([tmp.path('plugins')]);
    expect(errors).toEqual([]);
    expect(plugins.map((p) => p.id)).toEqual(['evil-pkg', 'evil-ts', 'evil']); // sorted by path: evil-pkg < evil-ts.ts < evil.js
    expect(existsSync(marker)).toBe(false);
    expect((globalThis as { __stewardExecuted?: boolean }).__stewardExecuted).toBeUndefined();
  });

  it('handles many plugins', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 300; i++) {
      const id = `p${String(i).padStart(3, '0')}`;
      files[`plugins/${id}.mjs`] = `export const metadata = { version: '1.0.0' };\n`;
    }
    await tmp.write(files);
    await writeFile(tmp.path('plugins', 'p999.mjs'), 'export const metadata = { version: 1 };');
    const { plugins, errors } = await discoverPlugins([tmp.path('plugins')]);
    expect(plugins).toHaveLength(300);
    expect(plugins[299]!.id).toBe('p299');
    expect(errors.map((e) => e.field)).toEqual(['metadata.version']);
  });
});
