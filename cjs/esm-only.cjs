'use strict';
/**
 * The `require` entry points of the package (package.json `exports` → `require`). Steward is
 * written as ES modules; on Node ≥ 20.19 (and ≥ 22.12) `require()` loads ES modules, so each
 * entry point here is the ES module itself, the very instance `import` gets (no second copy,
 * no dual-package hazard). Where `require()` cannot load ES modules — an older Node, or
 * `--no-experimental-require-module` — it fails with an error that says so and how to import
 * the package instead, rather than Node's generic one.
 */

/** Stable code of the error thrown when `require()` cannot load the package. */
const CODE = 'STEWARD_ESM_ONLY';

/**
 * Requires `target` (relative to this folder) for the specifier `specifier` (e.g. `steward/node`),
 * turning Node's "cannot require an ES module" errors into one that says what to do.
 * @param {string} specifier
 * @param {string} target
 */
module.exports = function requireEsm(specifier, target) {
  try {
    return require(target);
  } catch (error) {
    const code = error?.code;
    if (code !== 'ERR_REQUIRE_ESM' && code !== 'ERR_REQUIRE_ASYNC_MODULE') throw error;
    let why;
    if (code === 'ERR_REQUIRE_ASYNC_MODULE')
      why = `it uses top-level await, which require() cannot wait for (a bug of Steward: please report it)`;
    else if (process.features?.require_module === false)
      why = `require() of ES modules is turned off in this Node (${process.version}, --no-experimental-require-module)`;
    else why = `this Node (${process.version}) cannot require() ES modules; Node >= 20.19 or >= 22.12 can`;
    const message =
      `${specifier} is an ES module package (ESM only): ${why}. Import it instead: ` +
      `\`import { … } from '${specifier}'\` in an ES module (a .mjs file, or "type": "module" in ` +
      `package.json), or \`const { … } = await import('${specifier}')\` from CommonJS.`;
    const err = new Error(message, { cause: error });
    err.name = 'StewardError';
    err.code = CODE;
    throw err;
  }
};
