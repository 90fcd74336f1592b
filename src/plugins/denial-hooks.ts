/**
 * Inside a plugin process under Node's permission model: hear every `ERR_ACCESS_DENIED` the
 * plugin meets, so the host can report (plugin, permission, resource) even when the plugin
 * catches the error. Node offers no hook for it, so the public functions of `node:fs`,
 * `node:fs/promises` and `node:child_process` and the `Worker` class are wrapped (and ESM named
 * imports re-synced): each wrapper calls the original unchanged and only looks at what it throws,
 * rejects with or passes to its callback. It refuses nothing itself — Node does.
 */
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { deniedAccess, type PermissionAccess } from './permissions.js';

type AnyFunction = (...args: unknown[]) => unknown;

/** Wrap the modules once; `report` hears each distinct denial once. */
export function installDenialHooks(report: (access: PermissionAccess) => void): void {
  const require = createRequire(import.meta.url);
  const seen = new Set<string>();
  const note = (error: unknown, args: readonly unknown[]): void => {
    const denied = deniedAccess(error);
    if (!denied) return;
    // Node 20 names no resource for a refused child process: the command is the first argument.
    const resource = denied.resource || (typeof args[0] === 'string' ? args[0] : '');
    const key = `${denied.permission}\0${resource}`;
    if (seen.has(key) || seen.size >= 1000) return;
    seen.add(key);
    report({ permission: denied.permission, resource });
  };
  for (const name of ['node:fs', 'node:fs/promises', 'node:child_process']) {
    const mod = require(name) as Record<string, unknown>;
    for (const key of Object.keys(mod)) {
      const value = mod[key];
      const descriptor = Object.getOwnPropertyDescriptor(mod, key);
      if (typeof value !== 'function' || /^[A-Z]/.test(key) || !descriptor?.writable) continue;
      mod[key] = observe(value as AnyFunction, note);
    }
  }
  const threads = require('node:worker_threads') as { Worker: new (...args: unknown[]) => object };
  const Original = threads.Worker;
  threads.Worker = class Worker extends Original {
    constructor(...args: unknown[]) {
      try {
        super(...args);
      } catch (error) {
        note(error, [String(args[0])]);
        throw error;
      }
    }
  };
  syncBuiltinESMExports();
}

function observe(fn: AnyFunction, note: (error: unknown, args: readonly unknown[]) => void): AnyFunction {
  const wrapper = function (this: unknown, ...args: unknown[]): unknown {
    const last = args.length - 1;
    const callback = args[last];
    if (typeof callback === 'function') {
      args[last] = function (this: unknown, error: unknown, ...rest: unknown[]) {
        note(error, args);
        return (callback as AnyFunction).call(this, error, ...rest);
      };
    }
    let result: unknown;
    try {
      result = Reflect.apply(fn, this, args);
    } catch (error) {
      note(error, args);
      throw error;
    }
    if (result instanceof Promise) {
      return result.then(undefined, (error: unknown) => {
        note(error, args);
        throw error;
      });
    }
    return result;
  };
  // Keep name, length and `util.promisify.custom` (fs.exists, fs.read…).
  Object.defineProperties(wrapper, Object.getOwnPropertyDescriptors(fn));
  return wrapper;
}
