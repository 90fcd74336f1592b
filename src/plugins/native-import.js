// Node's own dynamic import, in a plain JavaScript file on purpose: test runners and bundlers
// rewrite `import()` in the files they transform, and plugins must be loaded by Node itself,
// exactly as in production (the reload hooks in loader.ts depend on it).

/**
 * Import `url` with Node's native loader.
 * @param {string} url
 * @returns {Promise<Record<string, unknown>>}
 */
export function nativeImport(url) {
  return import(url);
}
