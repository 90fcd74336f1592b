/**
 * `node:crypto`, loaded on first use. Loading it costs a fresh Node 20 process about 3–20 ms
 * (some twenty internal modules), and a plugin's own process (process isolation) imports the
 * modules that hash process identities and name journals at its start, though most plugins
 * never start a child and so never need either. `process.getBuiltinModule` is captured at
 * import, before any plugin code runs, and called through a captured `Reflect.apply`.
 */

type Crypto = typeof import('node:crypto');

const ReflectApply = Reflect.apply;
const getBuiltinModule = process.getBuiltinModule;
let loaded: Crypto | undefined;

/** @internal `node:crypto`, imported the first time it is asked for. */
export function nodeCrypto(): Crypto {
  loaded ??= ReflectApply(getBuiltinModule, process, ['node:crypto']) as Crypto;
  return loaded;
}
