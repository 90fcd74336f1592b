/**
 * Package plugins: a folder whose `package.json` has a `steward` block. Its entry point comes from
 * `exports` (the `"."` target under `import`/`default`) or `main`, and must resolve — symbolic
 * links included — to a file inside the folder.
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ManifestResult } from './manifest.js';
import { invalid, jsonSyntaxProblem, ManifestError, show } from './manifest-errors.js';
import { authorSchema, buildManifest, issuesToErrors, pluginPackageJsonSchema } from './manifest-schema.js';

function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

interface EntryTarget {
  readonly target: string;
  readonly field: 'exports' | 'main';
}

const ACTIVE_CONDITIONS = new Set(['import', 'default']);

/** Resolves a package `exports` value (string, subpath map or conditions) to the "." target. */
function exportsTarget(value: unknown): string | { problem: string } {
  const hint = 'write it as "exports": "./index.js" or { ".": { "import": "./index.js" } }';
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { problem: `must be a string or an object (got ${show(value)}); ${hint}` };
  }
  const keys = Object.keys(value);
  const subpaths = keys.filter((k) => k.startsWith('.'));
  let conditions: unknown = value;
  if (subpaths.length > 0) {
    if (subpaths.length !== keys.length) {
      return { problem: `mixes subpaths ("./x") and conditions ("import") at the same level; ${hint}` };
    }
    if (!Object.hasOwn(value, '.')) {
      return { problem: `has no "." entry, so the plugin has no main module; add "." to it (${hint})` };
    }
    conditions = (value as Record<string, unknown>)['.'];
  }
  for (let depth = 0; depth < 8; depth++) {
    if (typeof conditions === 'string') return conditions;
    if (typeof conditions !== 'object' || conditions === null || Array.isArray(conditions)) {
      return {
        problem: `"." must be a string or an { "import" | "default" } object (got ${show(conditions)}); ${hint}`,
      };
    }
    const key = Object.keys(conditions).find((k) => ACTIVE_CONDITIONS.has(k));
    if (key === undefined) {
      return {
        problem: `has no "import" or "default" condition for "." (got ${show(conditions)}); ${hint}`,
      };
    }
    conditions = (conditions as Record<string, unknown>)[key];
  }
  return { problem: `nests conditions too deeply; ${hint}` };
}

async function resolveEntry(
  file: string,
  dir: string,
  realDir: string,
  { target, field }: EntryTarget,
): Promise<string | ManifestError> {
  const outside = (how: string) =>
    new ManifestError(
      file,
      field,
      `entry point ${show(target)} ${how} outside the plugin folder ${realDir}; ` +
        'move the module into the plugin folder and point to it with a relative path such as "./index.js"',
    );
  const root = path.resolve(dir);
  const lexical = path.resolve(dir, target);
  if (field === 'exports' && !target.startsWith('./')) {
    // The advice is itself a valid target: "./" + a path inside the folder ("/index.js" most
    // likely meant "./index.js"); a target that leaves the folder gets the "outside" advice.
    let meant = lexical;
    if (!isInside(root, lexical)) {
      meant = path.resolve(root, `./${target.replace(/^[/\\]+/, '')}`);
      const exists = await stat(meant).then(
        () => true,
        () => false,
      );
      if (!isInside(root, meant) || !exists) return outside('resolves to');
    }
    const fixed = `./${path.relative(root, meant).split(path.sep).join('/')}`;
    return new ManifestError(
      file,
      field,
      `target must start with "./" (got ${show(target)}); write it as ${show(fixed)}`,
    );
  }
  if (!isInside(root, lexical)) return outside('resolves to');
  let realEntry: string;
  try {
    realEntry = await realpath(lexical);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return new ManifestError(
        file,
        field,
        `entry point ${show(target)} does not exist (${lexical}); create it, fix the path, or build the plugin first`,
      );
    }
    return new ManifestError(
      file,
      field,
      `entry point ${show(target)} cannot be read: ${(error as Error).message}`,
    );
  }
  if (!isInside(realDir, realEntry)) return outside(`is a symbolic link to ${realEntry},`);
  const info = await stat(realEntry);
  if (!info.isFile()) {
    return new ManifestError(
      file,
      field,
      `entry point ${show(target)} is not a file; point it at a module file`,
    );
  }
  return realEntry;
}

/** The `not-a-plugin` reason of a folder whose package.json has no `steward` block. */
export const NO_STEWARD_BLOCK = 'package.json has no "steward" block';

/**
 * Reads `<dir>/package.json` and validates it as a plugin manifest. Returns `not-a-plugin` when there is
 * no package.json or it has no `steward` block; otherwise every problem found (schema, entry point
 * containment after resolving symlinks, missing entry file) as separate {@link ManifestError}s.
 * Never throws for bad input; never executes plugin code.
 */
export async function loadPackageManifest(dir: string): Promise<ManifestResult> {
  const absDir = path.resolve(dir);
  const file = path.join(absDir, 'package.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'not-a-plugin', reason: 'no package.json' };
    return invalid(
      new ManifestError(file, '', `cannot be read: ${(error as Error).message}; check its permissions`),
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return invalid(
      new ManifestError(file, '', `${jsonSyntaxProblem(text, error)}; fix the syntax error there`),
    );
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return invalid(
      new ManifestError(
        file,
        '',
        `must contain a JSON object (got ${show(json)}); write { "name": ..., "steward": { ... } }`,
      ),
    );
  }
  if (!Object.hasOwn(json, 'steward')) return { kind: 'not-a-plugin', reason: NO_STEWARD_BLOCK };
  const parsed = pluginPackageJsonSchema.safeParse(json);
  const errors = parsed.success ? [] : issuesToErrors(file, '', parsed.error.issues);
  const pkg = json as Record<string, unknown>;

  // The entry point is checked even when other fields are wrong, so one pass reports everything.
  let target: EntryTarget | undefined;
  if (pkg.exports !== undefined) {
    const resolved = exportsTarget(pkg.exports);
    if (typeof resolved === 'string') target = { target: resolved, field: 'exports' };
    else errors.push(new ManifestError(file, 'exports', resolved.problem));
  } else if (typeof pkg.main === 'string' && pkg.main !== '') {
    target = { target: pkg.main, field: 'main' };
  } else if (pkg.main === undefined) {
    errors.push(
      new ManifestError(
        file,
        'exports',
        'is missing and so is "main", so the plugin has no entry point; add "exports": "./index.js"',
      ),
    );
  } // else: an invalid "main" was already reported by the schema
  let realDir: string;
  try {
    realDir = await realpath(absDir);
  } catch (error) {
    return invalid(new ManifestError(absDir, '', `cannot be resolved: ${(error as Error).message}`));
  }
  let entry: string | undefined;
  if (target) {
    const resolved = await resolveEntry(file, absDir, realDir, target);
    if (resolved instanceof ManifestError) errors.push(resolved);
    else entry = resolved;
  }
  if (!parsed.success || entry === undefined || errors.length > 0) return { kind: 'invalid', errors };

  const data = parsed.data;
  const { id, ...common } = data.steward;
  return {
    kind: 'plugin',
    manifest: buildManifest(common, {
      id,
      name: data.name,
      version: data.version,
      description: typeof data.description === 'string' ? data.description : undefined,
      author: authorOf(data.author),
      entry,
      dir: realDir,
      source: 'package',
      manifestPath: file,
    }),
  };
}

function authorOf(value: unknown): string | undefined {
  const parsed = authorSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}
