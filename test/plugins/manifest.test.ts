import { mkdir, symlink } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseByteSize } from '../../src/plugins/byte-size.js';
import { loadPluginManifest, type ManifestResult, type PluginManifest } from '../../src/plugins/manifest.js';
import { ManifestError, suggestPluginId } from '../../src/plugins/manifest-errors.js';
import { extractModuleMetadata, loadModuleManifest } from '../../src/plugins/manifest-module.js';
import { loadPackageManifest } from '../../src/plugins/manifest-package.js';
import { makeTempDir, packageJson, packagePlugin, type TempDir } from './fixtures.js';

let tmp: TempDir;
beforeEach(async () => {
  tmp = await makeTempDir();
});
afterEach(async () => {
  await tmp.remove();
});

function expectPlugin(result: ManifestResult): PluginManifest {
  if (result.kind !== 'plugin') {
    throw new Error(`expected a plugin, got ${result.kind}: ${JSON.stringify(result)}`);
  }
  return result.manifest;
}

function expectErrors(result: ManifestResult): readonly ManifestError[] {
  if (result.kind !== 'invalid') throw new Error(`expected errors, got ${result.kind}`);
  for (const error of result.errors) expect(error).toBeInstanceOf(ManifestError);
  return result.errors;
}

/** Writes a plugin whose package.json is `pkg` and returns the single error for `field`. */
async function errorFor(
  pkg: unknown,
  field: string,
  extra: Record<string, string> = {},
): Promise<ManifestError> {
  await tmp.write({ 'p/package.json': JSON.stringify(pkg), 'p/index.js': '', ...extra });
  const errors = expectErrors(await loadPackageManifest(tmp.path('p')));
  const match = errors.filter((e) => e.field === field);
  expect(match, `errors: ${errors.map((e) => e.message).join('\n')}`).toHaveLength(1);
  return match[0]!;
}

describe('package.json plugins', () => {
  it('normalizes a complete manifest', async () => {
    await tmp.write(
      packagePlugin(
        'full',
        'full',
        {
          displayName: 'Full Plugin',
          description: 'does everything',
          author: 'Ada',
          dependencies: { base: '^1.0.0' },
          optionalDependencies: { extra: '>=2' },
          host: '^1.0.0',
          isolation: 'worker',
          memoryLimit: '64MB',
          provides: ['logger'],
          requires: ['storage'],
          activationTimeoutMs: 1000,
          deactivationTimeoutMs: 2000,
        },
        { version: 'v1.2.3' },
      ),
    );
    const manifest = expectPlugin(await loadPackageManifest(tmp.path('full')));
    expect(manifest).toEqual({
      id: 'full',
      name: 'full-plugin',
      version: '1.2.3',
      displayName: 'Full Plugin',
      description: 'does everything',
      author: 'Ada',
      dependencies: { base: '^1.0.0' },
      optionalDependencies: { extra: '>=2' },
      hostRange: '^1.0.0',
      isolation: 'worker',
      memoryLimitBytes: 64_000_000,
      provides: ['logger'],
      requires: ['storage'],
      timeouts: { activationMs: 1000, deactivationMs: 2000 },
      entry: tmp.path('full', 'index.js'),
      dir: tmp.path('full'),
      source: 'package',
      manifestPath: tmp.path('full', 'package.json'),
    });
    expect(Object.isFrozen(manifest)).toBe(true);
    expect(Object.isFrozen(manifest.dependencies)).toBe(true);
  });

  it('applies defaults and falls back to package.json description and author', async () => {
    await tmp.write(
      packagePlugin(
        'min',
        'min',
        {},
        { description: 'from package', author: { name: 'Bo', email: 'bo@x.org' } },
      ),
    );
    const manifest = expectPlugin(await loadPackageManifest(tmp.path('min')));
    expect(manifest).toMatchObject({
      displayName: 'min-plugin',
      description: 'from package',
      author: 'Bo <bo@x.org>',
      isolation: 'inline',
      dependencies: {},
      optionalDependencies: {},
      provides: [],
      requires: [],
      timeouts: {},
    });
    expect(manifest).not.toHaveProperty('hostRange');
    expect(manifest).not.toHaveProperty('memoryLimitBytes');
  });

  it.each([
    ['a subpath map', { '.': './lib/main.js' }],
    ['an import condition', { '.': { import: './lib/main.js', require: './lib/main.cjs' } }],
    ['a default condition with types', { '.': { types: './lib/main.d.ts', default: './lib/main.js' } }],
    ['top-level conditions', { import: './lib/main.js' }],
    ['nested conditions', { '.': { import: { types: './x.d.ts', default: './lib/main.js' } } }],
  ])('resolves exports given as %s', async (_label, exports) => {
    await tmp.write({ 'p/package.json': packageJson('p', {}, { exports }), 'p/lib/main.js': '' });
    expect(expectPlugin(await loadPackageManifest(tmp.path('p'))).entry).toBe(
      tmp.path('p', 'lib', 'main.js'),
    );
  });

  it('uses "main" when there is no "exports"', async () => {
    await tmp.write({ 'p/package.json': packageJson('p', {}, { exports: undefined, main: 'src/start.js' }) });
    await tmp.write({ 'p/src/start.js': '' });
    expect(expectPlugin(await loadPackageManifest(tmp.path('p'))).entry).toBe(
      tmp.path('p', 'src', 'start.js'),
    );
  });

  it('normalizes permissions: relative paths, $STORAGE, defaults that deny', async () => {
    await tmp.write(
      packagePlugin('perm', 'perm', {
        isolation: 'process',
        permissions: {
          fs: { read: ['./', 'data/', './data/../cache', '$STORAGE', '$STORAGE/thumbs/'] },
          reason: 'reads its own files',
        },
      }),
    );
    const manifest = expectPlugin(await loadPackageManifest(tmp.path('perm')));
    expect(manifest.isolation).toBe('process');
    expect(manifest.permissions).toEqual({
      fs: { read: ['./', './data', './cache', '$STORAGE', '$STORAGE/thumbs'], write: [] },
      childProcess: false,
      worker: false,
      reason: 'reads its own files',
    });
    expect(Object.isFrozen(manifest.permissions!.fs.read)).toBe(true);
  });

  it('is not a plugin without a package.json or without a steward block', async () => {
    await tmp.write({ 'lib/package.json': { name: 'lib', version: '1.0.0' }, 'empty/readme.md': '' });
    expect((await loadPackageManifest(tmp.path('lib'))).kind).toBe('not-a-plugin');
    expect((await loadPackageManifest(tmp.path('empty'))).kind).toBe('not-a-plugin');
  });

  it('reports the brief example exactly: file, dotted field, problem and what to do', async () => {
    const error = await errorFor(packageJson('Foo Bar'), 'steward.id');
    expect(error.file).toBe(tmp.path('p', 'package.json'));
    expect(error.message).toBe(
      `${tmp.path('p', 'package.json')}: steward.id: must match /^[a-z0-9][a-z0-9._-]*$/ (got "Foo Bar"); ` +
        'use a lowercase id such as "foo-bar"',
    );
  });

  const fieldCases: [string, Record<string, unknown>, string, RegExp][] = [
    ['missing id', { steward: {} }, 'steward.id', /is required; use a lowercase id/],
    ['numeric id', { steward: { id: 3 } }, 'steward.id', /must be a string \(got 3\)/],
    ['missing name', { name: undefined }, 'name', /is required/],
    [
      'bad version',
      { version: '1.0' },
      'version',
      /not a valid semver version \(got "1.0"\); use a version such as/,
    ],
    ['steward not an object', { steward: true }, 'steward', /must be an object \(got true\)/],
    [
      'bad dependency range',
      { steward: { id: 'p', dependencies: { foo: 'latest!' } } },
      'steward.dependencies.foo',
      /not a valid semver range \(got "latest!"\); use a range such as "\^1.2.0"/,
    ],
    [
      'bad dependency id',
      { steward: { id: 'p', dependencies: { 'Bad Id': '^1' } } },
      'steward.dependencies["Bad Id"]',
      /not a valid plugin id.*such as "bad-id"/,
    ],
    [
      'dependencies not an object',
      { steward: { id: 'p', dependencies: ['foo'] } },
      'steward.dependencies',
      /must be an object mapping plugin ids to semver ranges/,
    ],
    [
      'bad optional dependency range',
      { steward: { id: 'p', optionalDependencies: { foo: 42 } } },
      'steward.optionalDependencies.foo',
      /must be a string \(got 42\)/,
    ],
    [
      'dependency listed twice',
      { steward: { id: 'p', dependencies: { foo: '^1' }, optionalDependencies: { foo: '^1' } } },
      'steward.optionalDependencies.foo',
      /both dependencies and optionalDependencies; keep it in only one/,
    ],
    ['bad host range', { steward: { id: 'p', host: 'one' } }, 'steward.host', /not a valid semver range/],
    [
      'bad isolation',
      { steward: { id: 'p', isolation: 'thread' } },
      'steward.isolation',
      /"inline", "worker" or "process"/,
    ],
    [
      'unknown permission key',
      { steward: { id: 'p', permissions: { network: true } } },
      'steward.permissions.network',
      /unknown field; remove it or use one of: fs, childProcess, worker, reason/,
    ],
    [
      'permission key typo',
      { steward: { id: 'p', permissions: { childProces: false } } },
      'steward.permissions.childProces',
      /did you mean "childProcess"/,
    ],
    [
      'unknown fs permission key',
      { steward: { id: 'p', permissions: { fs: { exec: ['./'] } } } },
      'steward.permissions.fs.exec',
      /use one of: read, write/,
    ],
    [
      'permission path escaping the plugin folder',
      { steward: { id: 'p', permissions: { fs: { read: ['./', '../other'] } } } },
      'steward.permissions.fs.read[1]',
      /climbs out of the plugin folder \("\.\.\/other"\)/,
    ],
    [
      'permission path escaping storage',
      { steward: { id: 'p', permissions: { fs: { write: ['$STORAGE/../../etc'] } } } },
      'steward.permissions.fs.write[0]',
      /climbs out of the plugin's storage folder/,
    ],
    [
      'unknown placeholder',
      { steward: { id: 'p', permissions: { fs: { write: ['$HOME/x'] } } } },
      'steward.permissions.fs.write[0]',
      /unknown placeholder "\$HOME"; the only placeholder is "\$STORAGE"/,
    ],
    [
      'permission flag not a boolean',
      { steward: { id: 'p', permissions: { childProcess: 'yes' } } },
      'steward.permissions.childProcess',
      /must be true or false/,
    ],
    [
      'memory unit',
      { steward: { id: 'p', memoryLimit: '64 parsecs' } },
      'steward.memoryLimit',
      /not a valid size/,
    ],
    ['memory zero', { steward: { id: 'p', memoryLimit: 0 } }, 'steward.memoryLimit', /positive whole number/],
    ['memory fraction', { steward: { id: 'p', memoryLimit: 1.5 } }, 'steward.memoryLimit', /positive whole/],
    ['memory type', { steward: { id: 'p', memoryLimit: true } }, 'steward.memoryLimit', /number of bytes/],
    [
      'provides type',
      { steward: { id: 'p', provides: 'logger' } },
      'steward.provides',
      /array of service token/,
    ],
    [
      'requires item',
      { steward: { id: 'p', requires: ['ok', 7] } },
      'steward.requires[1]',
      /service token name/,
    ],
    ['empty token', { steward: { id: 'p', provides: [''] } }, 'steward.provides[0]', /must not be empty/],
    [
      'zero timeout',
      { steward: { id: 'p', activationTimeoutMs: 0 } },
      'steward.activationTimeoutMs',
      /positive integer/,
    ],
    [
      'huge timeout',
      { steward: { id: 'p', deactivationTimeoutMs: 2 ** 31 } },
      'steward.deactivationTimeoutMs',
      /no larger than 2147483647/,
    ],
    [
      'typo in steward block',
      { steward: { id: 'p', dependancies: {} } },
      'steward.dependancies',
      /unknown field; did you mean "dependencies"\?/,
    ],
    ['no entry point', { exports: undefined }, 'exports', /is missing and so is "main".*add "exports"/],
    ['exports not relative', { exports: 'index.js' }, 'exports', /must start with "\.\/".*"\.\/index\.js"/],
    ['exports without "."', { exports: { './sub': './index.js' } }, 'exports', /has no "\." entry/],
    ['exports mixing', { exports: { '.': './index.js', import: './x.js' } }, 'exports', /mixes subpaths/],
    [
      'exports conditions',
      { exports: { '.': { require: './index.cjs' } } },
      'exports',
      /no "import" or "default"/,
    ],
    ['main type', { exports: undefined, main: 5 }, 'main', /must be a string/],
  ];
  it.each(fieldCases)('reports %s', async (_label, patch, field, message) => {
    const base = packageJson('p');
    const pkg = { ...base, ...patch };
    const error = await errorFor(pkg, field);
    expect(error.problem).toMatch(message);
    expect(error.message.startsWith(`${tmp.path('p', 'package.json')}: ${field}: `)).toBe(true);
  });

  it('reports every problem of a manifest at once', async () => {
    await tmp.write({
      'p/package.json': packageJson(
        'Bad',
        { host: 'one', isolation: 'none' },
        { version: 'one', exports: './no.js' },
      ),
    });
    const errors = expectErrors(await loadPackageManifest(tmp.path('p')));
    expect(errors.map((e) => e.field).sort()).toEqual([
      'exports',
      'steward.host',
      'steward.id',
      'steward.isolation',
      'version',
    ]);
  });

  it('reports invalid JSON and non-object JSON on the file', async () => {
    await tmp.write({ 'a/package.json': '{ "name": ', 'b/package.json': '[1]' });
    const [a] = expectErrors(await loadPackageManifest(tmp.path('a')));
    expect(a).toMatchObject({ field: '', file: tmp.path('a', 'package.json') });
    expect(a!.message).toMatch(/is not valid JSON .*; fix the syntax error/);
    const [b] = expectErrors(await loadPackageManifest(tmp.path('b')));
    expect(b!.problem).toMatch(/must contain a JSON object/);
  });

  describe('entry point containment', () => {
    it('rejects an exports target that climbs out with ../', async () => {
      await tmp.write({
        'outside.js': '',
        'p/package.json': packageJson('p', {}, { exports: './../outside.js' }),
      });
      const error = await errorFor(packageJson('p', {}, { exports: './../outside.js' }), 'exports');
      expect(error.problem).toMatch(
        /resolves to outside the plugin folder.*move the module into the plugin folder/,
      );
    });

    it('rejects a main that climbs out with ../', async () => {
      await tmp.write({ 'outside.js': '' });
      const error = await errorFor(
        packageJson('p', {}, { exports: undefined, main: '../outside.js' }),
        'main',
      );
      expect(error.problem).toMatch(/outside the plugin folder/);
    });

    it('rejects an entry that is a symlink to a file outside the folder', async () => {
      await tmp.write({ 'secret/evil.js': '', 'p/package.json': packageJson('p') });
      await symlink(tmp.path('secret', 'evil.js'), tmp.path('p', 'index.js'));
      const errors = expectErrors(await loadPackageManifest(tmp.path('p')));
      expect(errors).toHaveLength(1);
      expect(errors[0]!.field).toBe('exports');
      expect(errors[0]!.problem).toMatch(/is a symbolic link to .*evil\.js, outside the plugin folder/);
    });

    it('rejects an entry reached through a symlinked sub-folder pointing outside', async () => {
      await tmp.write({
        'secret/lib/main.js': '',
        'p/package.json': packageJson('p', {}, { exports: './lib/main.js' }),
      });
      await symlink(tmp.path('secret', 'lib'), tmp.path('p', 'lib'));
      const errors = expectErrors(await loadPackageManifest(tmp.path('p')));
      expect(errors.map((e) => e.field)).toEqual(['exports']);
    });

    it('accepts symlinks that stay inside, and a plugin folder that is itself a symlink', async () => {
      await tmp.write({ 'real/package.json': packageJson('p'), 'real/dist/index.js': '' });
      await symlink(tmp.path('real', 'dist', 'index.js'), tmp.path('real', 'index.js'));
      await mkdir(tmp.path('plugins'));
      await symlink(tmp.path('real'), tmp.path('plugins', 'linked'));
      const manifest = expectPlugin(await loadPackageManifest(tmp.path('plugins', 'linked')));
      expect(manifest.dir).toBe(tmp.path('real'));
      expect(manifest.entry).toBe(tmp.path('real', 'dist', 'index.js'));
      expect(manifest.manifestPath).toBe(tmp.path('plugins', 'linked', 'package.json'));
    });

    it('reports a missing entry file', async () => {
      await tmp.write({ 'p/package.json': packageJson('p', {}, { exports: './dist/index.js' }) });
      const errors = expectErrors(await loadPackageManifest(tmp.path('p')));
      expect(errors).toHaveLength(1);
      expect(errors[0]!.field).toBe('exports');
      expect(errors[0]!.problem).toMatch(/"\.\/dist\/index\.js" does not exist.*build the plugin first/);
    });

    it('reports an entry that is a folder', async () => {
      await tmp.write({ 'p/package.json': packageJson('p', {}, { exports: './dist' }), 'p/dist/x.js': '' });
      const errors = expectErrors(await loadPackageManifest(tmp.path('p')));
      expect(errors[0]!.problem).toMatch(/is not a file/);
    });
  });
});

describe('parseByteSize', () => {
  it.each([
    [1, 1],
    [4096, 4096],
    ['4096', 4096],
    ['64MB', 64_000_000],
    ['64mb', 64_000_000],
    ['512KiB', 524_288],
    ['1.5 GiB', 1_610_612_736],
    ['2kb', 2000],
    ['10 B', 10],
    ['1TiB', 1024 ** 4],
  ])('parses %j', (input, bytes) => {
    expect(parseByteSize(input)).toBe(bytes);
  });

  it.each([0, -1, 1.5, Number.NaN, '', 'MB', '-5MB', '64 parsecs', '0.0001B', '1e3', '64M'])(
    'rejects %j',
    (input) => {
      expect(() => parseByteSize(input)).toThrow(RangeError);
    },
  );
});

describe('suggestPluginId', () => {
  it.each([
    ['Foo Bar', 'foo-bar'],
    ['@acme/Tools', 'acme-tools'],
    ['___', 'my-plugin'],
    ['ok.id_1', 'ok.id_1'],
  ])('%j -> %j', (input, id) => {
    expect(suggestPluginId(input)).toBe(id);
  });
});

describe('extractModuleMetadata', () => {
  const file = '/plugins/x.js';

  it('reads a JavaScript literal', () => {
    const source = `import fs from 'node:fs';
      // export const metadata = { id: 'decoy' };
      const unrelated = "export const metadata = { id: 'decoy' }";
      export const metadata = {
        id: 'x', 'display-name': "X", version: \`1.0.0\`, n: -1, list: [1, 'two', null, true], nested: { a: { b: 2 } },
      };
      export default class {}`;
    expect(extractModuleMetadata(source, file)?.value).toEqual({
      id: 'x',
      'display-name': 'X',
      version: '1.0.0',
      n: -1,
      list: [1, 'two', null, true],
      nested: { a: { b: 2 } },
    });
  });

  it('returns undefined when there is no metadata export', () => {
    expect(extractModuleMetadata('export const other = 1;', file)).toBeUndefined();
    expect(extractModuleMetadata('const metadata = { id: "x" };', file)).toBeUndefined();
    expect(extractModuleMetadata('const x: number = 1; // metadata', '/p/x.ts')).toBeUndefined();
  });

  it('reads a TypeScript literal with a type annotation, as const and satisfies', () => {
    const source = `import type { Meta } from './types.js';
      /* export const metadata = { id: 'decoy' } */
      const re = /[{"'\`]/g;
      const t = \`\${'{'} } \${ { a: 1 }.a }\`;
      interface Shape { id: string; deps: Record<string, string> }
      export const metadata: Readonly<Record<string, unknown>> & { deps?: Map<string, (a: number) => void> } = {
        id: 'typed', version: '2.0.0', dependencies: { base: '^1.0.0' }, // comment }
        description: "has } and { in it",
      } as const satisfies Meta;
      export function activate(ctx: { log(msg: string): void }): void { ctx.log('{'); }`;
    expect(extractModuleMetadata(source, '/p/typed.ts')?.value).toEqual({
      id: 'typed',
      version: '2.0.0',
      dependencies: { base: '^1.0.0' },
      description: 'has } and { in it',
    });
  });

  const nonLiterals: [string, string, RegExp][] = [
    [
      'a call',
      `export const metadata = { id: 'x', version: getVersion() };`,
      /metadata\.version: .*CallExpression/,
    ],
    [
      'a variable',
      `const v = '1'; export const metadata = { version: v };`,
      /metadata\.version: found the variable "v"/,
    ],
    ['a spread', `export const metadata = { ...base };`, /metadata: found a spread/],
    [
      'a template substitution',
      'export const metadata = { id: `x$' + '{1}` };',
      /metadata\.id: found a template literal/,
    ],
    ['a computed key', `export const metadata = { ['id']: 'x' };`, /found a computed key/],
    ['a method', `export const metadata = { id() { return 'x'; } };`, /found a method/],
    ['a getter', `export const metadata = { get id() { return 'x'; } };`, /found a method or accessor/],
    ['a shorthand', `const id = 'x'; export const metadata = { id };`, /found a shorthand property "id"/],
    ['a nested call', `export const metadata = { deps: { a: range() } };`, /metadata\.deps\.a: /],
    ['an array element', `export const metadata = { provides: ['a', b] };`, /metadata\.provides\[1\]: /],
    ['a regexp', `export const metadata = { id: /x/ };`, /found a regular expression/],
    ['a bigint', `export const metadata = { size: 10n };`, /found a BigInt/],
    ['a duplicate key', `export const metadata = { id: 'a', id: 'b' };`, /found the key "id" twice/],
    ['a __proto__ key', `export const metadata = { __proto__: {} };`, /"__proto__"/],
    ['a function', `export const metadata = () => ({});`, /ArrowFunctionExpression/],
  ];
  it.each(nonLiterals)('rejects %s with a "must be a literal" error', (_label, source, message) => {
    let caught: unknown;
    try {
      extractModuleMetadata(source, file);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ManifestError);
    expect((caught as ManifestError).message).toMatch(message);
    expect((caught as ManifestError).message).toMatch(
      /metadata must be a literal .*write the value out literally/,
    );
  });

  it('rejects non-literals in TypeScript files too, with line numbers', () => {
    const source = `const x: number = 1;\nexport const metadata: M = {\n  id: compute(),\n};`;
    expect(() => extractModuleMetadata(source, '/p/t.ts')).toThrow(
      /metadata\.id: found a CallExpression at line 3:7/,
    );
  });

  it('rejects let/var declarations and export lists', () => {
    expect(() => extractModuleMetadata('export let metadata = {};', file)).toThrow(/declared with "let"/);
    expect(() => extractModuleMetadata('export var metadata = {};', '/p/x.ts')).toThrow(
      /declared with "var"/,
    );
    expect(() => extractModuleMetadata('const m = {}; export { m as metadata };', file)).toThrow(
      /export list/,
    );
    expect(() => extractModuleMetadata('export function metadata() {}', file)).toThrow(/FunctionDeclaration/);
    expect(() => extractModuleMetadata('export const metadata = [1];', file)).toThrow(
      /must be an object literal/,
    );
    expect(() => extractModuleMetadata("export const metadata = 'x';", '/p/x.ts')).toThrow(/object literal/);
  });

  it('reports syntax errors with a location and TypeScript syntax inside the literal', () => {
    expect(() => extractModuleMetadata('export const metadata = {;', file)).toThrow(
      /cannot be parsed: Unexpected token at line 1:26; fix the syntax error/,
    );
    expect(() => extractModuleMetadata(`export const metadata = { id: 'x' as string };`, '/p/x.ts')).toThrow(
      /TypeScript syntax such as "as const"/,
    );
    expect(() => extractModuleMetadata(`export const metadata = { id: 'x'`, '/p/x.ts')).toThrow(
      /never closed/,
    );
  });
});

describe('module plugins', () => {
  it('loads a .js plugin and a .ts plugin with type annotations', async () => {
    await tmp.write({
      'hello.js': `export const metadata = { id: 'hello', name: 'Hello', version: '1.0.0', author: 'Ada',
        dependencies: { base: '^1' }, memoryLimit: '512KiB' };\nexport function activate() {}\n`,
      'typed.ts': `import type { PluginMetadata } from 'steward/plugins';
export const metadata: PluginMetadata = { version: '0.1.0', displayName: 'Typed', isolation: 'worker' } as const;
export async function activate(ctx: unknown): Promise<void> {}\n`,
    });
    const hello = expectPlugin(await loadModuleManifest(tmp.path('hello.js')));
    expect(hello).toMatchObject({
      id: 'hello',
      name: 'Hello',
      displayName: 'Hello',
      version: '1.0.0',
      author: 'Ada',
      dependencies: { base: '^1' },
      memoryLimitBytes: 524_288,
      source: 'module',
      entry: tmp.path('hello.js'),
      dir: tmp.root,
      manifestPath: tmp.path('hello.js'),
    });
    const typed = expectPlugin(await loadPluginManifest(tmp.path('typed.ts')));
    expect(typed).toMatchObject({ id: 'typed', name: 'typed', displayName: 'Typed', isolation: 'worker' });
  });

  it('reports field errors with metadata.* paths', async () => {
    await tmp.write({
      'bad.mjs': `export const metadata = { id: 'Bad!', dependencies: { x: 'nope' }, isolaton: 'worker' };`,
    });
    const errors = expectErrors(await loadModuleManifest(tmp.path('bad.mjs')));
    expect(errors.map((e) => e.field).sort()).toEqual([
      'metadata.dependencies.x',
      'metadata.id',
      'metadata.isolaton',
      'metadata.version',
    ]);
    expect(errors.find((e) => e.field === 'metadata.isolaton')!.problem).toMatch(/did you mean "isolation"/);
  });

  it('requires an id when the file name is not a valid id', async () => {
    await tmp.write({ 'My Plugin.mts': `export const metadata = { version: '1.0.0' };` });
    const errors = expectErrors(await loadModuleManifest(tmp.path('My Plugin.mts')));
    expect(errors.map((e) => e.message)).toEqual([
      `${tmp.path('My Plugin.mts')}: metadata.id: is missing and the file name "My Plugin" is not a valid id; add id: "my-plugin"`,
    ]);
  });

  it('is not a plugin without a metadata export', async () => {
    await tmp.write({ 'util.js': 'export const helper = 1;' });
    expect((await loadModuleManifest(tmp.path('util.js'))).kind).toBe('not-a-plugin');
    expect((await loadPluginManifest(tmp.path('missing.js'))).kind).toBe('invalid');
  });
});
