/**
 * The package as an application meets it: `npm pack` on a copy of the working tree (prepack
 * builds `dist/` from nothing), the tarball's file list, then the tarball installed into a
 * scratch application outside the repository (so nothing resolves from the repository's own
 * node_modules), where programs are type-checked under `moduleResolution` nodenext and bundler,
 * as ES modules and as CommonJS, and run. Types and runtime must agree: no configuration may
 * type-check cleanly and then crash.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, npm, packTarball, ROOT, run, stopCommands, type Tarball, TSC } from './tarball.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  license: string;
  main: string;
  types: string;
  bin: Record<string, string>;
  exports: Record<string, string | Record<string, string>>;
};

/** Top-level entries a published package may hold. */
const ALLOWED_TOP = new Set(['dist', 'src', 'cjs', 'LICENSE', 'README.md', 'package.json']);
/** No file of the package above this size (the largest today, src/plugins/manifest.ts, is ~45 kB). */
const MAX_FILE_BYTES = 100 * 1024;
/**
 * The entries of a plugin's thread and process, each bundled (scripts/bundle-entries.mjs: the
 * plugin side's modules in one CommonJS file, ~180 kB each), are the files allowed above that, up
 * to this, with no source map.
 */
const MAX_BUNDLE_BYTES = 256 * 1024;
const BUNDLES = ['dist/plugins/worker-entry.cjs', 'dist/plugins/process-entry.cjs'];
/**
 * The whole package unpacked: src, dist with source maps and declarations, cjs, the two entry
 * bundles (4.12 MB with the process entry's bundle alone, 4.30 MB since the worker entry has one).
 */
const MAX_UNPACKED_BYTES = 4.5 * 2 ** 20;

let tarball: Tarball;
let app: string;

beforeAll(async () => {
  tarball = await packTarball();
  app = join(tarball.scratch, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), `${JSON.stringify({ name: 'my-app', private: true }, null, 2)}\n`);
  // The tarball's dependencies come from npm's cache when they are there (the repository's own
  // `npm install` put them there), from the registry otherwise.
  await npm(['install', '--prefer-offline', '--no-audit', '--no-fund', tarball.file], app);
}, 180_000);

afterAll(() => {
  stopCommands();
  if (tarball) rmSync(tarball.scratch, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('builds dist/ with declarations (prepack) and ships every entry point the manifest names', () => {
    const paths = new Set(tarball.files.map((f) => f.path));
    const targets = [pkg.main, pkg.types, ...Object.values(pkg.bin)];
    for (const entry of Object.values(pkg.exports)) {
      targets.push(...(typeof entry === 'string' ? [entry] : Object.values(entry)));
    }
    for (const target of targets) expect(paths, `${target} is not in the tarball`).toContain(target.slice(2));
    for (const [subpath, entry] of Object.entries(pkg.exports)) {
      if (typeof entry === 'string') continue;
      expect(Object.keys(entry), `exports["${subpath}"]`).toEqual(['types', 'import', 'require', 'default']);
    }
    const js = [...paths].filter((p) => p.startsWith('dist/') && p.endsWith('.js'));
    expect(js.length).toBeGreaterThan(20);
    for (const file of js) {
      expect(paths, `${file} has no declaration`).toContain(file.replace(/\.js$/, '.d.ts'));
      expect(paths, `${file} has no source map`).toContain(`${file}.map`);
    }
    // The dashboard's files are read at run time from src/monitor/assets.
    expect(paths).toContain('src/monitor/assets/index.html');
  });

  it('holds only the package: no tests, fixtures, docs, benchmarks, examples; nothing large', () => {
    const unexpected = tarball.files.filter(
      (f) =>
        !ALLOWED_TOP.has(f.path.split('/')[0]!) ||
        /(^|\/)(test|tests|fixtures|__tests__|node_modules)\//.test(f.path) ||
        /\.(test|spec)\.[cm]?[jt]s$/.test(f.path),
    );
    expect(unexpected.map((f) => f.path)).toEqual([]);
    const large = tarball.files.filter(
      (f) => f.size > (BUNDLES.includes(f.path) ? MAX_BUNDLE_BYTES : MAX_FILE_BYTES),
    );
    for (const bundle of BUNDLES) expect(tarball.files.map((f) => f.path)).toContain(bundle);
    expect(large.map((f) => `${f.path} (${f.size} B)`)).toEqual([]);
    expect(tarball.unpackedSize).toBeLessThan(MAX_UNPACKED_BYTES);
  });

  it('carries the MIT license its manifest declares', () => {
    expect(pkg.license).toBe('MIT');
    expect(tarball.files.map((f) => f.path)).toContain('LICENSE');
    expect(readFileSync(join(ROOT, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} /);
  });
});

/** One program, written for both module systems (no top-level await: CommonJS has none). */
const PROGRAM = `import { ResourceManager } from 'steward';
import { startMonitor } from 'steward/monitor';
import { pidExists } from 'steward/node';
import { definePlugin, PluginHost } from 'steward/plugins';
import { LeakChecker } from 'steward/testing';

async function main(): Promise<void> {
  const manager = new ResourceManager();
  const panel = { title: 'Search' };
  const search = manager.register(panel, 'search', { type: 'panel' });
  search.track(setInterval(() => {}, 1000), { type: 'timer' });
  search.track(new Uint8Array(1024), { type: 'cache', size: 1024 });
  const monitor = await startMonitor(manager, { port: 0 });
  const page = await fetch(monitor.url);
  const snapshot = (await (
    await fetch(\`\${monitor.origin}/api/snapshot\`, { headers: { authorization: \`Bearer \${monitor.token}\` } })
  ).json()) as { components: Array<{ id: string; subtreeBytes: number }> };
  console.log(\`dashboard \${page.status}, \${snapshot.components.map((c) => \`\${c.id} \${c.subtreeBytes} B\`)}\`);
  await monitor.close();
  const report = await search.cleanup();
  console.log(\`released \${report.released}, left \${manager.activeResources}\`);
  console.log(typeof PluginHost, typeof definePlugin, typeof LeakChecker, pidExists(process.pid));
  await manager.dispose();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
`;
const OUTPUT = 'dashboard 200, search 1024 B\nreleased 2, left 0\nfunction function function true\n';

interface Setup {
  readonly name: string;
  /** `type` of the program folder's package.json. */
  readonly type: 'module' | 'commonjs';
  readonly module: string;
  readonly moduleResolution: string;
  /** Whether the compiler must accept it (and the program then run). */
  readonly accepted: boolean;
}

const SETUPS: readonly Setup[] = [
  { name: 'ESM, nodenext', type: 'module', module: 'nodenext', moduleResolution: 'nodenext', accepted: true },
  { name: 'ESM, bundler', type: 'module', module: 'esnext', moduleResolution: 'bundler', accepted: true },
  // require() of an ES module: Node >= 20.19 does it, TypeScript's nodenext knows.
  {
    name: 'CommonJS, nodenext',
    type: 'commonjs',
    module: 'nodenext',
    moduleResolution: 'nodenext',
    accepted: true,
  },
  // node16 predates require(esm): the compiler refuses (TS1479) — it does not pass and then crash.
  {
    name: 'CommonJS, node16',
    type: 'commonjs',
    module: 'node16',
    moduleResolution: 'node16',
    accepted: false,
  },
];

async function compile(setup: Setup): Promise<{ dir: string; errors: string }> {
  const dir = join(app, setup.name.replace(/\W+/g, '-').toLowerCase());
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ private: true, type: setup.type }));
  writeFileSync(join(dir, 'src/main.ts'), PROGRAM);
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'es2022',
        lib: ['es2023'],
        module: setup.module,
        moduleResolution: setup.moduleResolution,
        strict: true,
        // The package's own declarations are checked too, as an application's build would.
        skipLibCheck: false,
        outDir: 'out',
        rootDir: 'src',
        // @types/node from the repository: the scratch app installs only the tarball.
        typeRoots: [join(ROOT, 'node_modules/@types')],
        types: ['node'],
      },
      include: ['src'],
    }),
  );
  try {
    await run(process.execPath, [TSC, '-p', dir], dir);
    return { dir, errors: '' };
  } catch (error) {
    return { dir, errors: (error as Error).message };
  }
}

describe.concurrent('installed from the tarball into an application', () => {
  for (const setup of SETUPS) {
    it(`${setup.name}: ${setup.accepted ? 'type-checks and runs' : 'is refused by the compiler'}`, async () => {
      const { dir, errors } = await compile(setup);
      if (!setup.accepted) {
        expect(errors).toMatch(/TS1479/);
        return;
      }
      expect(errors).toBe('');
      const out = await run(process.execPath, [join(dir, 'out/main.js')], dir);
      expect(out.stdout).toBe(OUTPUT);
    });
  }

  it('require() of every entry point gives the ES module itself — the instance import() gets', async () => {
    const script = join(app, 'same.cjs');
    writeFileSync(
      script,
      `const subpaths = ${JSON.stringify(Object.keys(pkg.exports).filter((k) => k !== './package.json'))};
(async () => {
  for (const subpath of subpaths) {
    const specifier = 'steward' + subpath.slice(1);
    const required = require(specifier);
    const imported = await import(specifier);
    const names = Object.keys(imported).filter((k) => k !== 'default');
    const same = names.every((k) => required[k] === imported[k]);
    console.log(specifier, names.length > 0 && same ? 'same' : 'DIFFERENT');
  }
})();
`,
    );
    const { stdout } = await run(process.execPath, [script], app);
    const subpaths = Object.keys(pkg.exports).filter((k) => k !== './package.json');
    expect(stdout).toBe(subpaths.map((s) => `steward${s.slice(1)} same\n`).join(''));
  });

  it('where require() cannot load ES modules, it says the package is ESM-only and how to import it', async () => {
    const script = join(app, 'old-node.cjs');
    writeFileSync(
      script,
      `try { require('steward/plugins'); } catch (e) { console.log(e.name, e.code); console.log(e.message); }\n`,
    );
    const { stdout } = await run(process.execPath, ['--no-experimental-require-module', script], app);
    const [first, message] = stdout.split('\n');
    expect(first).toBe('StewardError STEWARD_ESM_ONLY');
    expect(message).toContain('steward/plugins is an ES module package (ESM only)');
    expect(message).toContain("import { … } from 'steward/plugins'");
    expect(message).toContain("await import('steward/plugins')");
  });

  it('an entry point that gained a top-level await is named as such, not left to a bare ERR_REQUIRE_ASYNC_MODULE', async () => {
    writeFileSync(join(app, 'tla.mjs'), 'await Promise.resolve();\nexport const ready = true;\n');
    const script = join(app, 'tla.cjs');
    writeFileSync(
      script,
      `const requireEsm = require(${JSON.stringify(join(app, 'node_modules/steward/cjs/esm-only.cjs'))});
try { requireEsm('steward/x', ${JSON.stringify(join(app, 'tla.mjs'))}); } catch (e) { console.log(e.code, e.cause.code); console.log(e.message); }
`,
    );
    const { stdout } = await run(process.execPath, [script], app);
    const [codes, message] = stdout.split('\n');
    expect(codes).toBe('STEWARD_ESM_ONLY ERR_REQUIRE_ASYNC_MODULE');
    expect(message).toContain('it uses top-level await');
  });

  it('installs the steward command', async () => {
    const { stdout } = await run(join(app, 'node_modules/.bin/steward'), ['--version'], app, cleanEnv());
    expect(stdout).toBe(`${pkg.version}\n`);
  });
});
