/**
 * Bundles the entries of a plugin's own thread and process (dist/plugins/worker-entry.js and
 * process-entry.js, what `tsc` emitted) into one CommonJS file each, dist/plugins/worker-entry.cjs
 * and process-entry.cjs, which the worker transport starts and the process transport forks.
 * Loading an entry's ~50 ES modules was most of what Steward adds to a plugin's start: resolving,
 * reading and linking each, and an ES module facade for every built-in it imports (a process
 * start on Node 20, which has no compile cache, and every worker start, which caches nothing
 * between threads). One CommonJS file does none of that (BENCHMARKS.md, the plugins suite).
 *
 * Packages and modules imported with `import()` stay imports, loaded when asked for (acorn and
 * the metadata reader explain a load error only); the plugin itself is imported natively by the
 * entry, and a plugin that imports `steward` gets the package's own modules — a second copy of
 * Steward in the thread or process, which Steward supports (errors, service tokens and plugin
 * definitions are recognised across copies by `Symbol.for` brands).
 *
 *   node scripts/bundle-entries.mjs        (run by `npm run build` and the test setup, after tsc)
 */
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** The entries bundled, each to a `.cjs` file of the same name in the same folder. */
const ENTRIES = ['worker-entry', 'process-entry'];

await Promise.all(ENTRIES.map((name) => bundle(name)));

/** Bundles dist/plugins/<name>.js into dist/plugins/<name>.cjs. */
async function bundle(name) {
  const entry = fileURLToPath(new URL(`../dist/plugins/${name}.js`, import.meta.url));
  const outfile = fileURLToPath(new URL(`../dist/plugins/${name}.cjs`, import.meta.url));
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    // No source map: it would be the package's largest file (~450 kB) for stacks of Steward's own
    // plugin-side code, which name their function and the bundle's line either way.
    sourcemap: false,
    // The modules' own URL (they find Steward's package root from it): the bundle's, which sits
    // in the same folder as the modules it was made of.
    define: { 'import.meta.url': '__stewardModuleUrl' },
    banner: {
      js: `"use strict";\nconst __stewardModuleUrl = require('node:url').pathToFileURL(__filename).href;`,
    },
    logLevel: 'warning',
    plugins: [
      {
        name: 'lazy-stays-lazy',
        setup(on) {
          // A module loaded with import() would be inlined, and its own imports loaded with the
          // bundle: it stays a file of dist/, imported relative to the bundle (same folder).
          on.onResolve({ filter: /^\./, namespace: 'file' }, (args) => {
            if (args.kind !== 'dynamic-import') return undefined;
            const target = resolve(args.resolveDir, args.path);
            return { path: `./${relative(dirname(outfile), target)}`, external: true };
          });
        },
      },
    ],
  });
}
