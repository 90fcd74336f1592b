/**
 * The `ctx`-level permission check: every `ctx` call that touches the outside (`open`, `watch`,
 * `storage`, `spawn`, `fork`, `exec`, `execFile`, `worker`) is checked against the manifest's permissions before it runs.
 * Inline and worker plugins get this and only this — a guard that catches a plugin doing more than
 * it declared through `ctx`, not a sandbox (their code can still `import 'node:fs'`). Process
 * plugins are enforced by Node's permission model instead; in audit mode every tier records its
 * `ctx` accesses here and refuses nothing.
 */
import { constants } from 'node:fs';
import path from 'node:path';
import type { PluginContext } from './context.js';
import {
  AccessDeniedError,
  allows,
  type PermissionAccess,
  type PermissionMode,
  type ResolvedPermissions,
} from './permissions.js';

/** What a guard is made of. */
export interface PermissionGuardInit {
  readonly plugin: string;
  /** The manifest's permissions resolved; undefined: it declared none (all allowed). */
  readonly granted: ResolvedPermissions | undefined;
  readonly mode: PermissionMode;
  /** The plugin's storage folder (`ctx.storage()` writes it). */
  readonly storageDir: string;
  /** Called for a refused access (`denied`), and in audit mode for every access (each once). */
  readonly report: (access: PermissionAccess, denied: boolean) => void;
}

/** Checks and records one plugin's `ctx` accesses. */
export class PermissionGuard {
  readonly #init: PermissionGuardInit;
  readonly #seen = new Set<string>();

  constructor(init: PermissionGuardInit) {
    this.#init = init;
  }

  /** Whether this guard does anything (a plugin without permissions, enforced, needs none). */
  get active(): boolean {
    return this.#init.mode === 'audit' || this.#init.granted !== undefined;
  }

  /** Throw {@link AccessDeniedError} unless `access` is allowed; in audit mode, record it and allow. */
  check(access: PermissionAccess): void {
    const { mode, granted, plugin, report } = this.#init;
    if (mode === 'audit') {
      const key = `${access.permission}\0${access.resource}`;
      if (!this.#seen.has(key) && this.#seen.size < 10_000) {
        this.#seen.add(key);
        report(access, false);
      }
      return;
    }
    if (allows(granted, access)) return;
    report(access, true);
    throw new AccessDeniedError(plugin, access);
  }

  /** `ctx` with its outside-touching calls checked first. */
  wrap(ctx: PluginContext): PluginContext {
    if (!this.active) return ctx;
    const storageDir = this.#init.storageDir;
    return {
      ...ctx,
      storage: async () => {
        this.check({ permission: 'fs.write', resource: storageDir });
        return ctx.storage();
      },
      open: async (file, flags, mode) => {
        for (const permission of openPermissions(flags))
          this.check({ permission, resource: path.resolve(file) });
        return ctx.open(file, flags, mode);
      },
      watch: (file, options, listener) => {
        this.check({ permission: 'fs.read', resource: path.resolve(file) });
        return ctx.watch(file, options, listener);
      },
      spawn: (command, args, options) => {
        this.check({ permission: 'childProcess', resource: command });
        return ctx.spawn(command, args, options);
      },
      fork: (modulePath, args, options) => {
        this.check({
          permission: 'childProcess',
          resource: modulePath instanceof URL ? modulePath.href : String(modulePath),
        });
        return ctx.fork(modulePath, args, options);
      },
      exec: ((command: string, ...rest: unknown[]) => {
        this.check({ permission: 'childProcess', resource: command });
        return (ctx.exec as (...a: unknown[]) => ReturnType<PluginContext['exec']>)(command, ...rest);
      }) as PluginContext['exec'],
      execFile: ((file: string, ...rest: unknown[]) => {
        this.check({ permission: 'childProcess', resource: file });
        return (ctx.execFile as (...a: unknown[]) => ReturnType<PluginContext['execFile']>)(file, ...rest);
      }) as PluginContext['execFile'],
      worker: (file, options) => {
        this.check({ permission: 'worker', resource: file instanceof URL ? file.href : String(file) });
        return ctx.worker(file, options);
      },
    };
  }
}

/** The permissions an `open()` with `flags` needs (`r` read, `w`/`a` write, `+` both). */
export function openPermissions(flags: string | number | undefined): Array<'fs.read' | 'fs.write'> {
  if (flags === undefined) return ['fs.read'];
  if (typeof flags === 'number') {
    const access = flags & (constants.O_RDONLY | constants.O_WRONLY | constants.O_RDWR);
    if (access === constants.O_RDWR) return ['fs.read', 'fs.write'];
    return access === constants.O_WRONLY ? ['fs.write'] : ['fs.read'];
  }
  if (flags.includes('+')) return ['fs.read', 'fs.write'];
  return /^[wa]/.test(flags) ? ['fs.write'] : ['fs.read'];
}
