/**
 * Type declarations for peer libraries that ship no types for the files the
 * benchmarks import. Only the members the adapters use are declared.
 */

// monaco-editor ships VS Code's `vs/base/common/lifecycle.js` as plain ESM without a
// `.d.ts`. The package `exports` map `./*` to `./esm/vs/*.js`, so this specifier loads
// `node_modules/monaco-editor/esm/vs/base/common/lifecycle.js` in plain Node ESM: its only
// imports are `functional.js`, `iterator.js` and `types.js`/`assert.js`, no DOM, no shim needed.
declare module 'monaco-editor/base/common/lifecycle.js' {
  export interface IDisposable {
    dispose(): void;
  }
  export class DisposableStore implements IDisposable {
    static DISABLE_DISPOSED_WARNING: boolean;
    readonly isDisposed: boolean;
    dispose(): void;
    clear(): void;
    add<T extends IDisposable>(o: T): T;
    /** Removes `o` from the store and disposes of it. */
    delete<T extends IDisposable>(o: T): void;
  }
  /** Wraps `fn` in a disposable that calls it once. */
  export function toDisposable(fn: () => void): IDisposable;
}

// event-kit (Atom) is CommonJS without types.
declare module 'event-kit' {
  export class Disposable {
    disposed: boolean;
    /** `disposalAction` runs on the first `dispose()`. */
    constructor(disposalAction: () => unknown);
    dispose(): void;
  }
  export class CompositeDisposable {
    disposed: boolean;
    constructor(...disposables: { dispose(): unknown }[]);
    add(...disposables: { dispose(): unknown }[]): void;
    /** Removes without disposing. */
    remove(disposable: { dispose(): unknown }): void;
    dispose(): void;
  }
}
