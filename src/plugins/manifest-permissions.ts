/**
 * The manifest's `permissions` block: what a plugin may touch, declared up front with a reason
 * (Figma's idea), and checked when the manifest is read. Paths are relative to the plugin's folder
 * (`./`, `data/cache.json`), the `$STORAGE` placeholder (the plugin's private storage folder, and
 * `$STORAGE/sub` under it), or absolute; a path that climbs out of the plugin folder or storage
 * (`../`) is refused here, an absolute one is checked against the host's allowed roots when the
 * plugin is loaded (permissions.ts). A manifest without the block declares nothing: the plugin
 * runs unrestricted, as before permissions existed.
 */
import path from 'node:path';
import { z } from 'zod';
import { explain, show } from './manifest-errors.js';
import { STORAGE_PLACEHOLDER } from './permissions.js';

/** A plugin's declared permissions, normalized (absent fields are denials). */
export interface PluginPermissions {
  readonly fs: {
    /** Paths the plugin may read (a folder grants everything under it). */
    readonly read: readonly string[];
    /** Paths the plugin may write (a folder grants everything under it). */
    readonly write: readonly string[];
  };
  /** Whether it may start child processes. */
  readonly childProcess: boolean;
  /** Whether it may start worker threads. */
  readonly worker: boolean;
  /** Why it needs them, in the author's words (shown to whoever installs the plugin). */
  readonly reason: string | undefined;
}

/** The keys of `steward.permissions`, for "did you mean" and unknown-key messages. */
export const PERMISSION_KEYS: readonly string[] = Object.freeze(['fs', 'childProcess', 'worker', 'reason']);
/** The keys of `steward.permissions.fs`. */
export const FS_PERMISSION_KEYS: readonly string[] = Object.freeze(['read', 'write']);

/**
 * One permission path, normalized: `$STORAGE[/sub]`, `./rel` (POSIX separators) or absolute.
 * Returns a message when it is not acceptable.
 */
export function normalizePermissionPath(raw: string): { path: string } | { problem: string } {
  const hint = `use a path inside the plugin folder such as "./data", "${STORAGE_PLACEHOLDER}", or an absolute path the host allows`;
  if (raw.trim() === '') return { problem: `must not be empty; ${hint}` };
  if (raw.startsWith('$')) {
    const [head, ...rest] = raw.split('/');
    if (head !== STORAGE_PLACEHOLDER) {
      return {
        problem: `uses the unknown placeholder ${show(head)}; the only placeholder is "${STORAGE_PLACEHOLDER}" (the plugin's storage folder)`,
      };
    }
    const sub = path.posix.normalize(rest.join('/') || '.');
    if (sub === '..' || sub.startsWith('../')) {
      return { problem: `climbs out of the plugin's storage folder (${show(raw)}); ${hint}` };
    }
    return { path: sub === '.' ? STORAGE_PLACEHOLDER : `${STORAGE_PLACEHOLDER}/${sub.replace(/\/$/, '')}` };
  }
  if (path.isAbsolute(raw)) return { path: path.resolve(raw) };
  const rel = path.posix.normalize(raw.replaceAll('\\', '/'));
  if (rel === '..' || rel.startsWith('../')) {
    return { problem: `climbs out of the plugin folder (${show(raw)}); ${hint}` };
  }
  return { path: rel === '.' || rel === './' ? './' : `./${rel.replace(/^\.\//, '').replace(/\/$/, '')}` };
}

const pathListSchema = z
  .array(z.string({ error: explain('must be a path string', 'write e.g. "./data" or "$STORAGE"') }), {
    error: explain('must be an array of paths', 'write it as ["./", "$STORAGE"]'),
  })
  .transform((list, ctx) => {
    const out: string[] = [];
    list.forEach((raw, i) => {
      const result = normalizePermissionPath(raw);
      if ('problem' in result)
        ctx.issues.push({ code: 'custom', path: [i], input: raw, message: result.problem });
      else if (!out.includes(result.path)) out.push(result.path);
    });
    return out;
  });

const flagSchema = (what: string) =>
  z.boolean({ error: explain('must be true or false', `write true if the plugin ${what}`) });

/** Schema of `steward.permissions`. Unknown keys are errors naming the field. */
export const permissionsSchema = z
  .strictObject(
    {
      fs: z
        .strictObject(
          { read: pathListSchema.optional(), write: pathListSchema.optional() },
          {
            error: explain(
              'must be an object',
              'write it as "fs": { "read": ["./"], "write": ["$STORAGE"] }',
            ),
          },
        )
        .optional(),
      childProcess: flagSchema('starts child processes').optional(),
      worker: flagSchema('starts worker threads').optional(),
      reason: z
        .string({ error: explain('must be a string', 'say in a sentence why the plugin needs these') })
        .optional(),
    },
    {
      error: explain(
        'must be an object',
        'write it as "permissions": { "fs": { "read": ["./"] }, "childProcess": false, "reason": "..." }',
      ),
    },
  )
  .transform(
    (p): PluginPermissions =>
      Object.freeze({
        fs: Object.freeze({
          read: Object.freeze([...(p.fs?.read ?? [])]),
          write: Object.freeze([...(p.fs?.write ?? [])]),
        }),
        childProcess: p.childProcess ?? false,
        worker: p.worker ?? false,
        reason: p.reason,
      }),
  );

/** The known keys at an unknown key's path, if that path is inside `permissions`. */
export function permissionKeysAt(issuePath: readonly PropertyKey[]): readonly string[] | undefined {
  const last = issuePath[issuePath.length - 1];
  if (last === 'permissions') return PERMISSION_KEYS;
  if (last === 'fs' && issuePath[issuePath.length - 2] === 'permissions') return FS_PERMISSION_KEYS;
  return undefined;
}
