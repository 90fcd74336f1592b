/**
 * Inside a plugin process: observe what the plugin's code asks of `node:fs`, `node:fs/promises`,
 * `node:child_process` and `Worker`, which Node offers no hook for. The public functions are
 * wrapped (and ESM named imports re-synced with `syncBuiltinESMExports`); each wrapper calls the
 * original unchanged and refuses nothing itself.
 *
 * - Under the permission model ({@link installDenialHooks}): hear every `ERR_ACCESS_DENIED` the
 *   plugin meets — thrown, rejected or passed to a callback — so the host can report it even when
 *   the plugin catches it.
 * - In audit mode ({@link installAuditHooks}): record each path read or written, each command and
 *   worker started, so the derived block covers the plugin's own `fs` calls, not only `ctx`'s.
 */
import { createRequire, syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openPermissions } from './permission-guard.js';
import { deniedAccess, type PermissionAccess, type PermissionName, within } from './permissions.js';

type AnyFunction = (...args: unknown[]) => unknown;
type Observer = {
  /** Before the call: its arguments. */
  readonly call?: (module: string, name: string, args: readonly unknown[]) => void;
  /** An error it threw, rejected with or passed to its callback. */
  readonly error?: (error: unknown, args: readonly unknown[]) => void;
};

const MODULES = ['node:fs', 'node:fs/promises', 'node:child_process'] as const;
let suspended = 0;

/** Run `fn` with the hooks silent (Steward's own file access in the plugin process). */
export function withoutHooks<R>(fn: () => R): R {
  suspended++;
  try {
    return fn();
  } finally {
    suspended--;
  }
}

/** Report each distinct `ERR_ACCESS_DENIED` once. */
export function installDenialHooks(report: (access: PermissionAccess) => void): void {
  const once = dedupe(report);
  install({
    error(error, args) {
      const denied = deniedAccess(error);
      if (!denied) return;
      // Node 20 names no resource for a refused child process: the command is the first argument.
      once({ permission: denied.permission, resource: denied.resource || resourceOf(args[0]) });
    },
  });
}

/**
 * Report each distinct access the plugin's code makes once (audit mode). Reads under
 * `implicitReads` are not reported: the process may read them anyway, and Node's own module
 * loader reads the plugin's modules through these very functions.
 */
export function installAuditHooks(
  report: (access: PermissionAccess) => void,
  implicitReads: readonly string[],
): void {
  const once = dedupe(report);
  install({
    call(module, name, args) {
      for (const access of accessesOf(module, name, args)) {
        if (access.permission === 'fs.read' && implicitReads.some((root) => within(access.resource, root))) {
          continue;
        }
        once(access);
      }
    },
  });
}

function dedupe(report: (access: PermissionAccess) => void): (access: PermissionAccess) => void {
  const seen = new Set<string>();
  return (access) => {
    const key = `${access.permission}\0${access.resource}`;
    if (seen.has(key) || seen.size >= 10_000) return;
    seen.add(key);
    report(access);
  };
}

function install(observer: Observer): void {
  const require = createRequire(import.meta.url);
  for (const name of MODULES) {
    const mod = require(name) as Record<string, unknown>;
    for (const key of Object.keys(mod)) {
      const value = mod[key];
      const descriptor = Object.getOwnPropertyDescriptor(mod, key);
      if (typeof value !== 'function' || /^[A-Z]/.test(key) || !descriptor?.writable) continue;
      mod[key] = observe(value as AnyFunction, name, key, observer);
    }
  }
  const threads = require('node:worker_threads') as { Worker: new (...args: unknown[]) => object };
  const Original = threads.Worker;
  threads.Worker = class Worker extends Original {
    constructor(...args: unknown[]) {
      if (suspended === 0) observer.call?.('node:worker_threads', 'Worker', args);
      try {
        super(...args);
      } catch (error) {
        if (suspended === 0) observer.error?.(error, args);
        throw error;
      }
    }
  };
  syncBuiltinESMExports();
}

function observe(fn: AnyFunction, module: string, name: string, observer: Observer): AnyFunction {
  const wrapper = function (this: unknown, ...args: unknown[]): unknown {
    if (suspended > 0) return Reflect.apply(fn, this, args);
    observer.call?.(module, name, args);
    const onError = observer.error;
    if (!onError) return Reflect.apply(fn, this, args);
    const last = args.length - 1;
    const callback = args[last];
    if (typeof callback === 'function') {
      args[last] = function (this: unknown, error: unknown, ...rest: unknown[]) {
        onError(error, args);
        return (callback as AnyFunction).call(this, error, ...rest);
      };
    }
    let result: unknown;
    try {
      result = Reflect.apply(fn, this, args);
    } catch (error) {
      onError(error, args);
      throw error;
    }
    if (result instanceof Promise) {
      return result.then(undefined, (error: unknown) => {
        onError(error, args);
        throw error;
      });
    }
    return result;
  };
  // Keep name, length and `util.promisify.custom` (fs.exists, fs.read…).
  Object.defineProperties(wrapper, Object.getOwnPropertyDescriptors(fn));
  return wrapper;
}

/** A path or command argument as a string (URL, Buffer, string); '' for anything else (an fd). */
function resourceOf(arg: unknown): string {
  if (typeof arg === 'string') return arg;
  if (arg instanceof URL) return arg.protocol === 'file:' ? fileURLToPath(arg) : arg.href;
  if (Buffer.isBuffer(arg)) return arg.toString();
  return '';
}

const READS = new Set(
  'access exists readFile readdir stat lstat opendir readlink realpath createReadStream watch watchFile statfs'.split(
    ' ',
  ),
);
const WRITES = new Set(
  'writeFile appendFile mkdir mkdtemp rm rmdir unlink truncate chmod chown lchown utimes lutimes createWriteStream'.split(
    ' ',
  ),
);
const SPAWNS = new Set('spawn spawnSync exec execSync execFile execFileSync fork'.split(' '));

/** What one call asks for: the permission and resource of each path, command or worker. */
function accessesOf(module: string, name: string, args: readonly unknown[]): PermissionAccess[] {
  if (module === 'node:worker_threads') return [{ permission: 'worker', resource: resourceOf(args[0]) }];
  if (module === 'node:child_process') {
    return SPAWNS.has(name) ? [{ permission: 'childProcess', resource: resourceOf(args[0]) }] : [];
  }
  const base = name.replace(/Sync$/, '');
  const file = (i: number, permission: PermissionName): PermissionAccess[] => {
    const resource = resourceOf(args[i]);
    return resource === '' ? [] : [{ permission, resource: path.resolve(resource) }];
  };
  if (READS.has(base)) return file(0, 'fs.read');
  if (WRITES.has(base)) return file(0, 'fs.write');
  switch (base) {
    case 'open':
      return openPermissions(args[1] as string | number | undefined).flatMap((p) => file(0, p));
    case 'copyFile':
    case 'cp':
      return [...file(0, 'fs.read'), ...file(1, 'fs.write')];
    case 'rename':
      return [...file(0, 'fs.write'), ...file(1, 'fs.write')];
    case 'symlink':
    case 'link':
      return file(1, 'fs.write');
    default:
      return [];
  }
}
