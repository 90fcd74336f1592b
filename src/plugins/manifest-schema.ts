/**
 * The manifest schema: what a package.json `steward` block and a module's `metadata` export may
 * contain, as zod schemas whose messages say what is wrong and what to write instead; turning zod's
 * issues into {@link ManifestError}s; and normalizing a parsed block into a frozen
 * {@link PluginManifest}.
 */

import path from 'node:path';
import { z } from 'zod';
import { parseByteSize } from './byte-size.js';
import type { PluginManifest } from './manifest.js';
import { budgetSchema } from './manifest-budget.js';
import { closest, explain, fieldPath, ManifestError, show, suggestPluginId } from './manifest-errors.js';
import { permissionKeysAt, permissionsSchema } from './manifest-permissions.js';
import { isRange, validVersion } from './versions.js';

/** The pattern every plugin id must match: lowercase, starting with a letter or digit. */
export const PLUGIN_ID_PATTERN: RegExp = /^[a-z0-9][a-z0-9._-]*$/;

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
  .refine((v) => validVersion(v) !== undefined, {
    error: explain('is not a valid semver version', 'use a version such as "1.0.0" or "2.1.0-beta.1"'),
  })
  .transform((v) => validVersion(v)!);

const rangeSchema = z
  .string({ error: explain('must be a string', 'use a semver range such as "^1.2.0"') })
  .refine(isRange, {
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

/** `author` as package.json writes it: a string, or `{ name, email? }` (normalized to `Name <email>`). */
export const authorSchema = z
  .union([z.string(), z.looseObject({ name: z.string(), email: z.string().optional() })], {
    error: explain(
      'must be a string or { "name": string, "email"?: string }',
      'write e.g. "Ada <ada@example.com>"',
    ),
  })
  .transform((a) => (typeof a === 'string' ? a : a.email ? `${a.name} <${a.email}>` : a.name));

const isolationSchema = z
  .enum(['inline', 'worker', 'process'], {
    error: explain(
      'must be "inline", "worker" or "process"',
      'use "inline" (default), "worker" (own thread) or "process" (own process)',
    ),
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
  budget: budgetSchema.optional(),
  permissions: permissionsSchema.optional(),
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

/**
 * zod's issues as {@link ManifestError}s of `file`, fields prefixed with `prefix` (`''` for
 * package.json, `metadata` for a module). Unknown keys get one error each, with a "did you mean".
 */
export function issuesToErrors(
  file: string,
  prefix: string,
  issues: readonly z.core.$ZodIssue[],
): ManifestError[] {
  const errors: ManifestError[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      const nested = permissionKeysAt(issue.path);
      const known =
        nested !== undefined || issue.path.length === 0 || issue.path[issue.path.length - 1] === 'steward';
      const keys = nested ?? (prefix === 'metadata' ? METADATA_KEYS : STEWARD_KEYS);
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

function freezeManifest(manifest: PluginManifest): PluginManifest {
  Object.freeze(manifest.dependencies);
  Object.freeze(manifest.optionalDependencies);
  Object.freeze(manifest.provides);
  Object.freeze(manifest.requires);
  Object.freeze(manifest.timeouts);
  return Object.freeze(manifest);
}

type CommonOutput = Omit<StewardBlock, 'id'>;

/** A parsed block plus the fields the loader found, as a frozen {@link PluginManifest}. */
export function buildManifest(
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
    ...(common.budget !== undefined && { budget: common.budget }),
    ...(common.permissions !== undefined && { permissions: common.permissions }),
    entry: fields.entry,
    dir: fields.dir,
    source: fields.source,
    manifestPath: fields.manifestPath,
  });
}
