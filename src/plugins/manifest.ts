/**
 * Plugin manifests: schema, validation and static extraction.
 *
 * A plugin is described either by a folder with a `package.json` carrying a `steward` block, or by a
 * single module file exporting `export const metadata = { ... }`. Both are normalized into one
 * {@link PluginManifest}. Reading a manifest never executes plugin code: module files are parsed with
 * acorn and only literal values are accepted.
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { type Expression, getLineInfo, type Node, parse, parseExpressionAt } from 'acorn';
import semver from 'semver';
import { z } from 'zod';

// ---------------------------------------------------------------------------------------------------------
// Public types and constants

/** The pattern every plugin id must match: lowercase, starting with a letter or digit. */
export const PLUGIN_ID_PATTERN: RegExp = /^[a-z0-9][a-z0-9._-]*$/;

/** File extensions recognized as single-module plugins (`.d.ts` / `.d.mts` declaration files excluded). */
export const MODULE_PLUGIN_EXTENSIONS: readonly string[] = Object.freeze(['.js', '.mjs', '.ts', '.mts']);

/** Where a plugin's code runs: `inline` (same heap) or `worker` (own thread and heap). */
export type PluginIsolation = 'inline' | 'worker';

/** Per-plugin lifecycle deadlines from the manifest; absent means "use the host's default". */
export interface PluginTimeouts {
  readonly activationMs?: number;
  readonly deactivationMs?: number;
}

/**
 * A validated, normalized plugin manifest. Produced only by this module's loaders, so every field has
 * been checked: `id` matches {@link PLUGIN_ID_PATTERN}, `version` is valid semver, ranges are valid
 * semver ranges, `entry` is an existing file whose real path lies inside `dir`. The object and its
 * nested records/arrays are frozen.
 */
export interface PluginManifest {
  /** Unique plugin id (`steward.id` or `metadata.id`, defaulting to the file name for module plugins). */
  readonly id: string;
  /** Package name (package plugins) or `metadata.name` (module plugins, defaults to the id). */
  readonly name: string;
  /** Normalized semver version. */
  readonly version: string;
  /** Human-readable name; falls back to `name`. */
  readonly displayName: string;
  /** Description; empty string when not given. */
  readonly description: string;
  readonly author?: string;
  /** Required plugin dependencies: id -> semver range. */
  readonly dependencies: Readonly<Record<string, string>>;
  /** Optional plugin dependencies: id -> semver range (checked only when the dependency is present). */
  readonly optionalDependencies: Readonly<Record<string, string>>;
  /** Semver range of host versions this plugin supports; absent means any host. */
  readonly hostRange?: string;
  readonly isolation: PluginIsolation;
  /** Memory limit in bytes, if declared. */
  readonly memoryLimitBytes?: number;
  /** Service token names this plugin provides. */
  readonly provides: readonly string[];
  /** Service token names this plugin requires. */
  readonly requires: readonly string[];
  readonly timeouts: PluginTimeouts;
  /** Restart policy of a worker plugin that crashes: up to `maxRestarts` times, waiting `backoffMs` × 2^n. */
  readonly restart?: { readonly maxRestarts: number; readonly backoffMs: number };
  /** Absolute real path (symlinks resolved) of the module to load. */
  readonly entry: string;
  /** Absolute real path of the plugin folder (the containing folder for module plugins). */
  readonly dir: string;
  /** `package`: folder with package.json; `module`: single file with a `metadata` export. */
  readonly source: 'package' | 'module';
  /** Absolute path of the file the manifest was read from (package.json or the module file). */
  readonly manifestPath: string;
}

/**
 * A manifest problem: which file, which field (dotted path such as `steward.dependencies.foo`; empty when
 * the whole file is at fault), and a message saying what is wrong and what to do next.
 */
export class ManifestError extends Error {
  override readonly name = 'ManifestError';
  /** Absolute path of the offending file (or folder). */
  readonly file: string;
  /** Dotted path of the offending field; `''` when the problem is the file itself. */
  readonly field: string;
  /** The message without the `file: field:` prefix. */
  readonly problem: string;

  constructor(file: string, field: string, problem: string, options?: ErrorOptions) {
    super(`${displayPath(file)}: ${field ? `${field}: ` : ''}${problem}`, options);
    this.file = file;
    this.field = field;
    this.problem = problem;
  }
}

/**
 * Outcome of reading one candidate: a valid manifest, a list of problems (all of them, not just the
 * first), or "not a plugin" (no `steward` block / no `metadata` export) with the reason.
 */
export type ManifestResult =
  | { readonly kind: 'plugin'; readonly manifest: PluginManifest }
  | { readonly kind: 'invalid'; readonly errors: readonly ManifestError[] }
  | { readonly kind: 'not-a-plugin'; readonly reason: string };

// ---------------------------------------------------------------------------------------------------------
// Small helpers

function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel) ? rel : file;
}

function show(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Turns an arbitrary name into a valid plugin id suggestion ("Foo Bar" -> "foo-bar"). */
export function suggestPluginId(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .replace(/-+$/, '');
  return slug || 'my-plugin';
}

/** Error-message builder for zod: "is required; hint" or "problem (got X); hint". */
function explain(problem: string, hint: string) {
  return (issue: { readonly input?: unknown }): string =>
    issue.input === undefined ? `is required; ${hint}` : `${problem} (got ${show(issue.input)}); ${hint}`;
}

function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const distance = levenshtein(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function fieldPath(prefix: string, segments: readonly PropertyKey[]): string {
  let out = prefix;
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else {
      const key = String(segment);
      out += /^[A-Za-z0-9_$-]+$/.test(key) ? `${out ? '.' : ''}${key}` : `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Byte sizes

const BYTE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/**
 * Parses a memory size into bytes: a positive integer, or a string such as `"64MB"`, `"512KiB"`,
 * `"1.5 GiB"`, `"4096"`. Units are case-insensitive; KB/MB/GB/TB are decimal (1000^n), KiB/MiB/GiB/TiB
 * binary (1024^n). Returns a positive safe integer; throws a `RangeError` explaining the accepted forms.
 */
export function parseByteSize(input: string | number): number {
  const hint = 'use a positive number of bytes or a size such as "64MB" or "512KiB"';
  if (typeof input === 'number') {
    if (Number.isSafeInteger(input) && input > 0) return input;
    throw new RangeError(`must be a positive whole number of bytes (got ${show(input)}); ${hint}`);
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(input);
  const factor = match ? BYTE_UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || factor === undefined) {
    throw new RangeError(
      `is not a valid size (got ${show(input)}); ${hint} (units: B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)`,
    );
  }
  const bytes = Math.round(Number(match[1]) * factor);
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new RangeError(`must be at least 1 byte and at most 2^53-1 bytes (got ${show(input)}); ${hint}`);
  }
  return bytes;
}

// ---------------------------------------------------------------------------------------------------------
// Schemas

const MAX_TIMEOUT_MS = 2_147_483_647; // setTimeout overflows (fires at once) above this

const idSchema = z
  .string({ error: explain('must be a string', 'use a lowercase id such as "my-plugin"') })
  .refine((id) => PLUGIN_ID_PATTERN.test(id), {
    error: (issue) =>
      `must match ${PLUGIN_ID_PATTERN} (got ${show(issue.input)}); use a lowercase id such as ${show(
        suggestPluginId(String(issue.input)),
      )}`,
  });

const versionSchema = z
  .string({ error: explain('must be a string', 'use a semver version such as "1.0.0"') })
  .refine((v) => semver.valid(v) !== null, {
    error: explain('is not a valid semver version', 'use a version such as "1.0.0" or "2.1.0-beta.1"'),
  })
  .transform((v) => semver.valid(v)!);

const rangeSchema = z
  .string({ error: explain('must be a string', 'use a semver range such as "^1.2.0"') })
  .refine((r) => semver.validRange(r) !== null, {
    error: explain('is not a valid semver range', 'use a range such as "^1.2.0", ">=2 <4" or "*"'),
  });

const dependencyMapSchema = z
  .record(z.string(), rangeSchema, {
    error: explain(
      'must be an object mapping plugin ids to semver ranges',
      'write it as { "other-plugin": "^1.0.0" }',
    ),
  })
  .superRefine((deps, ctx) => {
    for (const key of Object.keys(deps)) {
      if (!PLUGIN_ID_PATTERN.test(key)) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          input: key,
          message: `is not a valid plugin id (must match ${PLUGIN_ID_PATTERN}); use the other plugin's id exactly, such as ${show(
            suggestPluginId(key),
          )}`,
        });
      }
    }
  });

const tokenListSchema = z.array(
  z
    .string({ error: explain('must be a service token name', 'use a non-empty string such as "logger"') })
    .min(1, {
      error: 'must not be empty; use a service token name such as "logger"',
    }),
  { error: explain('must be an array of service token names', 'write it as ["logger", "storage"]') },
);

const timeoutSchema = z
  .number({ error: explain('must be a number of milliseconds', 'use a positive integer such as 5000') })
  .refine((n) => Number.isInteger(n) && n > 0 && n <= MAX_TIMEOUT_MS, {
    error: explain(
      `must be a positive integer no larger than ${MAX_TIMEOUT_MS}`,
      'use a number of milliseconds such as 5000',
    ),
  });

const byteSizeSchema = z.unknown().transform((value, ctx): number => {
  if (typeof value !== 'number' && typeof value !== 'string') {
    ctx.issues.push({
      code: 'custom',
      input: value,
      message: `must be a number of bytes or a size string (got ${show(value)}); use e.g. 67108864 or "64MB"`,
    });
    return z.NEVER;
  }
  try {
    return parseByteSize(value);
  } catch (error) {
    ctx.issues.push({ code: 'custom', input: value, message: (error as Error).message });
    return z.NEVER;
  }
});

const restartSchema = z.strictObject(
  {
    maxRestarts: z
      .number({ error: explain('must be a number', 'use a small integer such as 3') })
      .int({ error: 'must be an integer; use e.g. 3' })
      .min(0, { error: 'must be >= 0; use 0 to never restart' })
      .max(100, { error: 'must be <= 100; a plugin crashing that often needs fixing, not restarting' }),
    backoffMs: timeoutSchema.optional(),
  },
  { error: explain('must be an object', 'write it as "restart": { "maxRestarts": 3, "backoffMs": 500 }') },
);

const authorSchema = z
  .union([z.string(), z.looseObject({ name: z.string(), email: z.string().optional() })], {
    error: explain(
      'must be a string or { "name": string, "email"?: string }',
      'write e.g. "Ada <ada@example.com>"',
    ),
  })
  .transform((a) => (typeof a === 'string' ? a : a.email ? `${a.name} <${a.email}>` : a.name));

const isolationSchema = z
  .enum(['inline', 'worker'], {
    error: explain('must be "inline" or "worker"', 'use "inline" (default) or "worker"'),
  })
  .default('inline');

const textSchema = (what: string) =>
  z.string({ error: explain('must be a string', `write the ${what} as a string`) });

/** Fields shared by the package.json `steward` block and a module's `metadata` export. */
const commonFields = {
  displayName: textSchema('display name').optional(),
  description: textSchema('description').optional(),
  author: authorSchema.optional(),
  dependencies: dependencyMapSchema.optional(),
  optionalDependencies: dependencyMapSchema.optional(),
  host: rangeSchema.optional(),
  isolation: isolationSchema,
  memoryLimit: byteSizeSchema.optional(),
  provides: tokenListSchema.optional(),
  requires: tokenListSchema.optional(),
  activationTimeoutMs: timeoutSchema.optional(),
  deactivationTimeoutMs: timeoutSchema.optional(),
  restart: restartSchema.optional(),
};

function noOverlap(
  value: {
    dependencies?: Record<string, string> | undefined;
    optionalDependencies?: Record<string, string> | undefined;
  },
  ctx: z.RefinementCtx,
): void {
  for (const id of Object.keys(value.optionalDependencies ?? {})) {
    if (value.dependencies && Object.hasOwn(value.dependencies, id)) {
      ctx.addIssue({
        code: 'custom',
        path: ['optionalDependencies', id],
        input: id,
        message: `"${id}" is listed in both dependencies and optionalDependencies; keep it in only one of them`,
      });
    }
  }
}

/** Schema of the `steward` block of a plugin's package.json. Unknown keys are rejected (typos are errors). */
export const stewardBlockSchema = z
  .strictObject(
    { id: idSchema, ...commonFields },
    { error: explain('must be an object', 'write it as "steward": { "id": "my-plugin" }') },
  )
  .superRefine(noOverlap);

/** Schema of `export const metadata = { ... }` in a module plugin. `id` defaults to the file name. */
export const moduleMetadataSchema = z
  .strictObject(
    { id: idSchema.optional(), name: textSchema('name').optional(), version: versionSchema, ...commonFields },
    {
      error: explain(
        'must be an object literal',
        'write it as export const metadata = { id: "my-plugin", ... }',
      ),
    },
  )
  .superRefine(noOverlap);

/** Schema of the package.json fields Steward reads (other fields are allowed and ignored). */
export const pluginPackageJsonSchema = z.looseObject(
  {
    name: z
      .string({ error: explain('must be a string', 'add "name": "my-plugin" to package.json') })
      .min(1, { error: 'must not be empty; add "name": "my-plugin" to package.json' }),
    version: versionSchema,
    exports: z.unknown().optional(),
    main: z
      .string({ error: explain('must be a string', 'write it as "main": "./index.js"') })
      .min(1, { error: 'must not be empty; write it as "main": "./index.js"' })
      .optional(),
    description: z.unknown().optional(),
    author: z.unknown().optional(),
    steward: stewardBlockSchema,
  },
  {
    error: explain(
      'must contain a JSON object',
      'write a package.json object with "name", "version" and "steward"',
    ),
  },
);

/** Output type of {@link stewardBlockSchema}. */
export type StewardBlock = z.output<typeof stewardBlockSchema>;
/** Output type of {@link moduleMetadataSchema}. */
export type ModuleMetadata = z.output<typeof moduleMetadataSchema>;

const STEWARD_KEYS = Object.keys({ id: 0, ...commonFields });
const METADATA_KEYS = Object.keys({ id: 0, name: 0, version: 0, ...commonFields });

function issuesToErrors(file: string, prefix: string, issues: readonly z.core.$ZodIssue[]): ManifestError[] {
  const errors: ManifestError[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      const known = issue.path.length === 0 || issue.path[issue.path.length - 1] === 'steward';
      const keys = prefix === 'metadata' ? METADATA_KEYS : STEWARD_KEYS;
      for (const key of issue.keys) {
        const guess = known ? closest(key, keys) : undefined;
        errors.push(
          new ManifestError(
            file,
            fieldPath(prefix, [...issue.path, key]),
            `unknown field; ${guess ? `did you mean "${guess}"? ` : ''}remove it or use one of: ${keys.join(', ')}`,
          ),
        );
      }
      continue;
    }
    const message = /;/.test(issue.message)
      ? issue.message
      : `${issue.message}; fix this field in ${path.basename(file)}`;
    errors.push(new ManifestError(file, fieldPath(prefix, issue.path), message));
  }
  return errors;
}

// ---------------------------------------------------------------------------------------------------------
// package.json plugins

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
  if (field === 'exports' && !target.startsWith('./')) {
    return new ManifestError(
      file,
      field,
      `target must start with "./" (got ${show(target)}); write it as ${show(`./${target.replace(/^\/+/, '')}`)}`,
    );
  }
  const outside = (how: string) =>
    new ManifestError(
      file,
      field,
      `entry point ${show(target)} ${how} outside the plugin folder ${realDir}; ` +
        'move the module into the plugin folder and point to it with a relative path such as "./index.js"',
    );
  const lexical = path.resolve(dir, target);
  if (!isInside(path.resolve(dir), lexical)) return outside('resolves to');
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

function freezeManifest(manifest: PluginManifest): PluginManifest {
  Object.freeze(manifest.dependencies);
  Object.freeze(manifest.optionalDependencies);
  Object.freeze(manifest.provides);
  Object.freeze(manifest.requires);
  Object.freeze(manifest.timeouts);
  return Object.freeze(manifest);
}

type CommonOutput = Omit<StewardBlock, 'id'>;

function buildManifest(
  common: CommonOutput,
  fields: Pick<PluginManifest, 'id' | 'name' | 'version' | 'entry' | 'dir' | 'source' | 'manifestPath'> & {
    readonly description?: string | undefined;
    readonly author?: string | undefined;
  },
): PluginManifest {
  const author = common.author ?? fields.author;
  const timeouts: { activationMs?: number; deactivationMs?: number } = {};
  if (common.activationTimeoutMs !== undefined) timeouts.activationMs = common.activationTimeoutMs;
  if (common.deactivationTimeoutMs !== undefined) timeouts.deactivationMs = common.deactivationTimeoutMs;
  return freezeManifest({
    id: fields.id,
    name: fields.name,
    version: fields.version,
    displayName: common.displayName ?? fields.name,
    description: common.description ?? fields.description ?? '',
    ...(author !== undefined && { author }),
    dependencies: { ...common.dependencies },
    optionalDependencies: { ...common.optionalDependencies },
    ...(common.host !== undefined && { hostRange: common.host }),
    isolation: common.isolation,
    ...(common.memoryLimit !== undefined && { memoryLimitBytes: common.memoryLimit }),
    provides: [...(common.provides ?? [])],
    requires: [...(common.requires ?? [])],
    timeouts,
    ...(common.restart !== undefined && {
      restart: Object.freeze({
        maxRestarts: common.restart.maxRestarts,
        backoffMs: common.restart.backoffMs ?? 500,
      }),
    }),
    entry: fields.entry,
    dir: fields.dir,
    source: fields.source,
    manifestPath: fields.manifestPath,
  });
}

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
      new ManifestError(file, '', `is not valid JSON (${(error as Error).message}); fix the syntax error`),
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
  if (!Object.hasOwn(json, 'steward'))
    return { kind: 'not-a-plugin', reason: 'package.json has no "steward" block' };
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

function invalid(error: ManifestError): ManifestResult {
  return { kind: 'invalid', errors: [error] };
}

// ---------------------------------------------------------------------------------------------------------
// Module plugins: static extraction of `export const metadata = { ... }`

/** Result of {@link extractModuleMetadata}: the literal value and where it starts, or `undefined`. */
export interface ExtractedMetadata {
  /** The metadata object built from literals only. */
  readonly value: Record<string, unknown>;
  /** Offset of the object literal in the source. */
  readonly offset: number;
}

const ACORN_OPTIONS = { ecmaVersion: 'latest', sourceType: 'module', allowHashBang: true } as const;

function location(source: string, offset: number): string {
  const { line, column } = getLineInfo(source, offset);
  return `line ${line}:${column + 1}`;
}

/** Converts an acorn expression made only of literals into a plain value, or throws a ManifestError. */
function literalValue(
  node: Node,
  source: string,
  base: number,
  file: string,
  at: readonly PropertyKey[],
): unknown {
  const fail = (what: string): never => {
    throw new ManifestError(
      file,
      fieldPath('metadata', at),
      `${what} at ${location(source, base + node.start)}; metadata must be a literal (strings, numbers, ` +
        'booleans, null, arrays and objects with plain keys) because discovery reads it without running the ' +
        'module: write the value out literally',
    );
  };
  const expr = node as Expression;
  switch (expr.type) {
    case 'Literal':
      if (expr.regex) return fail('found a regular expression');
      if (expr.bigint !== undefined) return fail('found a BigInt');
      return expr.value;
    case 'TemplateLiteral':
      if (expr.expressions.length > 0) return fail('found a template literal with substitutions');
      return expr.quasis[0]?.value.cooked ?? '';
    case 'UnaryExpression':
      if (
        expr.operator === '-' &&
        expr.argument.type === 'Literal' &&
        typeof expr.argument.value === 'number'
      ) {
        return -expr.argument.value;
      }
      return fail(`found an expression using "${expr.operator}"`);
    case 'ArrayExpression':
      return expr.elements.map((element, index) => {
        if (element === null) return fail('found an array hole');
        if (element.type === 'SpreadElement') return fail('found a spread (...)');
        return literalValue(element, source, base, file, [...at, index]);
      });
    case 'ObjectExpression': {
      const out: Record<string, unknown> = {};
      for (const property of expr.properties) {
        if (property.type === 'SpreadElement') return fail('found a spread (...)');
        let key: string | undefined;
        if (!property.computed && property.key.type === 'Identifier') key = property.key.name;
        else if (
          !property.computed &&
          property.key.type === 'Literal' &&
          typeof property.key.value !== 'object'
        ) {
          key = String(property.key.value);
        }
        if (key === undefined) return fail('found a computed key');
        if (property.kind !== 'init' || property.method) return fail(`found a method or accessor "${key}"`);
        if (property.shorthand) return fail(`found a shorthand property "${key}" referring to a variable`);
        if (key === '__proto__') return fail('found a "__proto__" key');
        if (Object.hasOwn(out, key)) return fail(`found the key "${key}" twice`);
        out[key] = literalValue(property.value, source, base, file, [...at, key]);
      }
      return out;
    }
    case 'Identifier':
      return fail(`found the variable "${expr.name}"`);
    default:
      return fail(`found a ${expr.type}`);
  }
}

function syntaxError(
  file: string,
  source: string,
  error: unknown,
  base: number,
  extra: string,
): ManifestError {
  const pos = (error as { pos?: number }).pos;
  const message = ((error as Error).message ?? String(error)).replace(/\s*\(\d+:\d+\)$/, '');
  const where = typeof pos === 'number' ? ` at ${location(source, base + pos)}` : '';
  return new ManifestError(file, '', `cannot be parsed: ${message}${where}; ${extra}`, { cause: error });
}

function asObject(value: unknown, file: string, source: string, offset: number): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ManifestError(
      file,
      'metadata',
      `must be an object literal at ${location(source, offset)}; write export const metadata = { id: "my-plugin", version: "1.0.0" }`,
    );
  }
  return value as Record<string, unknown>;
}

function extractFromJavaScript(source: string, file: string): ExtractedMetadata | undefined {
  let program: ReturnType<typeof parse>;
  try {
    program = parse(source, ACORN_OPTIONS);
  } catch (error) {
    throw syntaxError(file, source, error, 0, 'fix the syntax error (plugin files must be ES modules)');
  }
  for (const statement of program.body) {
    if (statement.type !== 'ExportNamedDeclaration') continue;
    const exportsMetadata = statement.specifiers.some(
      (s) => (s.exported.type === 'Identifier' ? s.exported.name : s.exported.value) === 'metadata',
    );
    if (exportsMetadata) {
      throw new ManifestError(
        file,
        'metadata',
        `is exported through an export list at ${location(source, statement.start)}; ` +
          'declare it in place as export const metadata = { ... } so it can be read without running the module',
      );
    }
    const declaration = statement.declaration;
    if (!declaration) continue;
    if (declaration.type === 'VariableDeclaration') {
      for (const declarator of declaration.declarations) {
        if (declarator.id.type !== 'Identifier' || declarator.id.name !== 'metadata') continue;
        if (declaration.kind !== 'const') {
          throw new ManifestError(
            file,
            'metadata',
            `is declared with "${declaration.kind}" at ${location(source, declaration.start)}; declare it as export const metadata = { ... }`,
          );
        }
        if (!declarator.init) {
          throw new ManifestError(file, 'metadata', 'has no value; write export const metadata = { ... }');
        }
        const value = literalValue(declarator.init, source, 0, file, []);
        return { value: asObject(value, file, source, declarator.init.start), offset: declarator.init.start };
      }
    } else if ('id' in declaration && declaration.id?.name === 'metadata') {
      throw new ManifestError(
        file,
        'metadata',
        `is a ${declaration.type} at ${location(source, declaration.start)}; metadata must be a literal: write export const metadata = { ... }`,
      );
    }
  }
  return undefined;
}

interface Token {
  readonly type: 'name' | 'punct' | 'other';
  readonly value: string;
  readonly start: number;
  readonly end: number;
  /** Brace depth before the token (for "}" after it is closed, i.e. the depth of its "{"). */
  readonly depth: number;
}

const REGEX_AFTER_WORDS = new Set([
  'return',
  'typeof',
  'case',
  'do',
  'else',
  'in',
  'of',
  'new',
  'delete',
  'void',
  'throw',
  'instanceof',
  'yield',
  'await',
]);

/**
 * A small TypeScript-tolerant tokenizer: skips comments, strings, template literals (with nested `${}`)
 * and regular expressions, tracks brace depth, and yields names and punctuation. It does not need to
 * understand types; it only has to find top-level `export const metadata` and the braces around it.
 */
function* tokenize(source: string): Generator<Token> {
  const stack: ('brace' | 'template')[] = [];
  let previous: Token | undefined;
  let i = 0;
  const n = source.length;
  const isNameStart = (c: string) => /[A-Za-z_$\u0080-\uffff]/.test(c);
  const isNamePart = (c: string) => /[\w$\u0080-\uffff]/.test(c);

  const scanTemplate = (from: number): number => {
    let j = from;
    while (j < n) {
      const c = source[j];
      if (c === '\\') j += 2;
      else if (c === '`') return j + 1;
      else if (c === '$' && source[j + 1] === '{') {
        stack.push('template');
        return j + 2;
      } else j++;
    }
    return n;
  };

  while (i < n) {
    const c = source[i]!;
    const next = source[i + 1];
    const start = i;
    if (
      c === ' ' ||
      c === '\t' ||
      c === '\n' ||
      c === '\r' ||
      c === '\ufeff' ||
      c === '\u2028' ||
      c === '\u2029'
    ) {
      i++;
      continue;
    }
    if (c === '#' && next === '!' && i === 0) {
      while (i < n && source[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && next === '/') {
      while (i < n && source[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && next === '*') {
      const close = source.indexOf('*/', i + 2);
      i = close < 0 ? n : close + 2;
      continue;
    }
    let token: Token;
    const depth = stack.length;
    if (c === '"' || c === "'") {
      i++;
      while (i < n && source[i] !== c && source[i] !== '\n') i += source[i] === '\\' ? 2 : 1;
      i++;
      token = { type: 'other', value: 'string', start, end: i, depth };
    } else if (c === '`') {
      i = scanTemplate(i + 1);
      token = { type: 'other', value: 'template', start, end: i, depth };
    } else if (isNameStart(c)) {
      i++;
      while (i < n && isNamePart(source[i]!)) i++;
      token = { type: 'name', value: source.slice(start, i), start, end: i, depth };
    } else if (/[0-9]/.test(c) || (c === '.' && next !== undefined && /[0-9]/.test(next))) {
      i++;
      while (i < n && /[\w.]/.test(source[i]!)) i++;
      token = { type: 'other', value: 'number', start, end: i, depth };
    } else if (
      c === '/' &&
      (previous === undefined ||
        (previous.type === 'punct' && !/^[)\]}]$/.test(previous.value)) ||
        (previous.type === 'name' && REGEX_AFTER_WORDS.has(previous.value)))
    ) {
      i++;
      let inClass = false;
      while (i < n && source[i] !== '\n') {
        const r = source[i];
        if (r === '\\') i++;
        else if (r === '[') inClass = true;
        else if (r === ']') inClass = false;
        else if (r === '/' && !inClass) break;
        i++;
      }
      i++;
      while (i < n && isNamePart(source[i]!)) i++;
      token = { type: 'other', value: 'regex', start, end: i, depth };
    } else if (c === '{') {
      stack.push('brace');
      i++;
      token = { type: 'punct', value: '{', start, end: i, depth };
    } else if (c === '}') {
      const top = stack.pop();
      i++;
      if (top === 'template') {
        i = scanTemplate(i);
        token = { type: 'other', value: 'template', start, end: i, depth: stack.length };
      } else {
        token = { type: 'punct', value: '}', start, end: i, depth: stack.length };
      }
    } else if (c === '=' && (next === '>' || next === '=')) {
      i += 2;
      token = { type: 'punct', value: `=${next}`, start, end: i, depth };
    } else {
      i++;
      token = { type: 'punct', value: c, start, end: i, depth };
    }
    previous = token;
    yield token;
  }
}

function extractFromTypeScript(source: string, file: string): ExtractedMetadata | undefined {
  const tokens = [...tokenize(source)];
  const top = tokens.filter((t) => t.depth === 0 && t.type !== 'other');
  for (let k = 2; k < top.length; k++) {
    const a = top[k - 2]!;
    const b = top[k - 1]!;
    const c = top[k]!;
    if (a.value !== 'export' || !['const', 'let', 'var'].includes(b.value) || c.value !== 'metadata')
      continue;
    if (a.type !== 'name' || b.type !== 'name' || c.type !== 'name') continue;
    if (b.value !== 'const') {
      throw new ManifestError(
        file,
        'metadata',
        `is declared with "${b.value}" at ${location(source, b.start)}; declare it as export const metadata = { ... }`,
      );
    }
    // Skip an optional type annotation up to the "=" at nesting level 0, then expect "{".
    let i = tokens.indexOf(c) + 1;
    let nesting = 0;
    for (; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (t.type !== 'punct') continue;
      if (t.value === '=' && t.depth === 0 && nesting === 0) break;
      if (t.value === ';' && t.depth === 0) i = tokens.length;
      else if (/^[([<]$/.test(t.value)) nesting++;
      else if (/^[)\]>]$/.test(t.value)) nesting--;
    }
    const open = tokens[i + 1];
    if (i >= tokens.length || !open) {
      throw new ManifestError(
        file,
        'metadata',
        `has no value at ${location(source, c.start)}; write export const metadata = { id: "my-plugin", version: "1.0.0" }`,
      );
    }
    if (open.type !== 'punct' || open.value !== '{') {
      throw new ManifestError(
        file,
        'metadata',
        `must be an object literal at ${location(source, open.start)}; write export const metadata = { id: "my-plugin", version: "1.0.0" }`,
      );
    }
    const close = tokens.find(
      (t, j) => j > i + 1 && t.type === 'punct' && t.value === '}' && t.depth === open.depth,
    );
    if (!close) {
      throw new ManifestError(
        file,
        'metadata',
        `object literal starting at ${location(source, open.start)} is never closed; add the missing "}"`,
      );
    }
    const text = source.slice(open.start, close.end);
    let node: Expression;
    try {
      node = parseExpressionAt(text, 0, ACORN_OPTIONS);
    } catch (error) {
      throw syntaxError(
        file,
        source,
        error,
        open.start,
        'metadata must be a plain object literal: TypeScript syntax such as "as const" or type assertions is ' +
          'not allowed inside it (put "as const" or "satisfies T" after the closing brace)',
      );
    }
    const value = literalValue(node, source, open.start, file, []);
    return { value: asObject(value, file, source, open.start), offset: open.start };
  }
  return undefined;
}

/**
 * Finds `export const metadata = { ... }` in a module's source text without executing it and returns the
 * literal value, or `undefined` when the module has no such export. `.js`/`.mjs` sources are fully
 * parsed with acorn; TypeScript sources are scanned for the declaration (type annotations and
 * `as const`/`satisfies` after the literal are tolerated) and only the object literal is parsed.
 * Throws a {@link ManifestError} for syntax errors and for anything that is not a literal.
 */
export function extractModuleMetadata(
  source: string,
  file: string,
  language: 'javascript' | 'typescript' = /\.m?ts$/.test(file) ? 'typescript' : 'javascript',
): ExtractedMetadata | undefined {
  if (!/\bmetadata\b/.test(source)) return undefined;
  return language === 'typescript'
    ? extractFromTypeScript(source, file)
    : extractFromJavaScript(source, file);
}

/** True when `file` has a module plugin extension (and is not a `.d.ts`/`.d.mts` declaration file). */
export function isModulePluginFile(file: string): boolean {
  return MODULE_PLUGIN_EXTENSIONS.includes(path.extname(file)) && !/\.d\.m?ts$/.test(file);
}

/**
 * Reads a single-module plugin (`.js`, `.mjs`, `.ts`, `.mts`) and validates its `metadata` export.
 * Returns `not-a-plugin` when the file has no `export const metadata`. The module is parsed, never
 * executed. `id` defaults to the file name (without extension) when it is a valid id; `version` is
 * required. `entry` is the file's real path and `dir` the real path of its folder.
 */
export async function loadModuleManifest(file: string): Promise<ManifestResult> {
  const absFile = path.resolve(file);
  let source: string;
  try {
    source = await readFile(absFile, 'utf8');
  } catch (error) {
    return invalid(new ManifestError(absFile, '', `cannot be read: ${(error as Error).message}`));
  }
  let extracted: ExtractedMetadata | undefined;
  try {
    extracted = extractModuleMetadata(source, absFile);
  } catch (error) {
    if (error instanceof ManifestError) return invalid(error);
    throw error;
  }
  if (!extracted) return { kind: 'not-a-plugin', reason: 'no "export const metadata" in the module' };

  const parsed = moduleMetadataSchema.safeParse(extracted.value);
  const errors = parsed.success ? [] : issuesToErrors(absFile, 'metadata', parsed.error.issues);
  const stem = path.basename(absFile).replace(/\.[^.]+$/, '');
  const rawId = extracted.value.id;
  if (rawId === undefined && !PLUGIN_ID_PATTERN.test(stem)) {
    errors.push(
      new ManifestError(
        absFile,
        'metadata.id',
        `is missing and the file name ${show(stem)} is not a valid id; add id: ${show(suggestPluginId(stem))}`,
      ),
    );
  }
  if (!parsed.success || errors.length > 0) return { kind: 'invalid', errors };

  let entry: string;
  try {
    entry = await realpath(absFile);
  } catch (error) {
    return invalid(new ManifestError(absFile, '', `cannot be resolved: ${(error as Error).message}`));
  }
  const { id, name, version, ...common } = parsed.data;
  const pluginId = id ?? stem;
  return {
    kind: 'plugin',
    manifest: buildManifest(common, {
      id: pluginId,
      name: name ?? pluginId,
      version,
      entry,
      dir: path.dirname(entry),
      source: 'module',
      manifestPath: absFile,
    }),
  };
}

/**
 * Loads the manifest at `target`: a folder (package plugin) or a module file. Anything else is
 * `not-a-plugin`. See {@link loadPackageManifest} and {@link loadModuleManifest}.
 */
export async function loadPluginManifest(target: string): Promise<ManifestResult> {
  const abs = path.resolve(target);
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(abs);
  } catch (error) {
    return invalid(
      new ManifestError(abs, '', `cannot be read: ${(error as Error).message}; check that the path exists`),
    );
  }
  if (info.isDirectory()) return loadPackageManifest(abs);
  if (info.isFile() && isModulePluginFile(abs)) return loadModuleManifest(abs);
  return { kind: 'not-a-plugin', reason: 'neither a folder nor a .js/.mjs/.ts/.mts module' };
}
