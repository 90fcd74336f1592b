/**
 * Bundles dist/plugins/process-entry.js (what `tsc` emitted) into one file in place: the
 * entry of a plugin's own process (process isolation) then loads one module instead of ~50.
 * On Node 20, which has no compile cache, resolving, reading and linking those modules was
 * about a third of a plugin process's start (BENCHMARKS.md, "Process plugin start").
 *
 * Packages and modules imported with `import()` stay imports, loaded when asked for, as before
 * (acorn and the metadata reader explain a load error only); the plugin itself is
 * imported natively by the entry, and a plugin that imports `steward` gets the package's own
 * modules — a second copy of Steward in the process, which Steward supports (errors, service
 * tokens and plugin definitions are recognised across copies by `Symbol.for` brands).
 *
 *   node scripts/bundle-process-entry.mjs        (run by `npm run build`, after tsc)
 */
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const entry = fileURLToPath(new URL('../dist/plugins/process-entry.js', import.meta.url));
const BUNDLED = '// steward: bundled process entry';

// tsc emits every file on each build; run again without one, there is nothing left to bundle.
if (!readFileSync(entry, 'utf8').startsWith(BUNDLED)) {
  await build({
    entryPoints: [entry],
    outfile: entry,
    allowOverwrite: true,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    banner: { js: BUNDLED },
    logLevel: 'warning',
    plugins: [
      {
        name: 'lazy-stays-lazy',
        setup(on) {
          // A module loaded with import() would be inlined, and its own static imports hoisted
          // to the bundle's start: it stays a file of dist/, imported relative to the bundle.
          on.onResolve({ filter: /^\./, namespace: 'file' }, (args) => {
            if (args.kind !== 'dynamic-import') return undefined;
            const target = resolve(args.resolveDir, args.path);
            return { path: `./${relative(dirname(entry), target)}`, external: true };
          });
        },
      },
    ],
  });
}
