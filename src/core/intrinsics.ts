/**
 * Steward's own references to the built-ins its cleanup and shutdown paths rely on, captured
 * when this module is first imported — before any plugin code runs. A plugin that replaces
 * `globalThis.setTimeout`, `Promise.prototype.then` or `Array.prototype.push` changes what
 * everybody else's code calls, not what these bindings call, so cleanup deadlines still fire
 * and reports are still built. Platform-neutral (no Node built-ins); Node's own are in
 * `src/node/intrinsics.ts`.
 *
 * The helpers call through `Reflect.apply` captured here too, so a replaced
 * `Function.prototype.call` does not reach them either.
 */

const ReflectApply = Reflect.apply;
const ArrayPush = Array.prototype.push;
const PromiseThen = Promise.prototype.then;

/** The `setTimeout` of the platform, as it was at import. */
export const setTimeoutOriginal: typeof globalThis.setTimeout = globalThis.setTimeout;
/** The `clearTimeout` of the platform, as it was at import. */
export const clearTimeoutOriginal: typeof globalThis.clearTimeout = globalThis.clearTimeout;
/** The `setInterval` of the platform, as it was at import. */
export const setIntervalOriginal: typeof globalThis.setInterval = globalThis.setInterval;
/** The `clearInterval` of the platform, as it was at import. */
export const clearIntervalOriginal: typeof globalThis.clearInterval = globalThis.clearInterval;
/** The `Promise` constructor as it was at import. */
export const PromiseOriginal: PromiseConstructor = Promise;

/** `setTimeout(fn, ms)` with the platform's original timer (a plugin's replacement is never called). */
export function safeSetTimeout(fn: () => void, ms: number): ReturnType<typeof setTimeout> {
  return ReflectApply(setTimeoutOriginal, globalThis, [fn, ms]) as ReturnType<typeof setTimeout>;
}

/** `clearTimeout(timer)` with the platform's original. */
export function safeClearTimeout(timer: Parameters<typeof clearTimeout>[0]): void {
  ReflectApply(clearTimeoutOriginal, globalThis, [timer]);
}

/** `setInterval(fn, ms)` with the platform's original timer. */
export function safeSetInterval(fn: () => void, ms: number): ReturnType<typeof setInterval> {
  return ReflectApply(setIntervalOriginal, globalThis, [fn, ms]) as ReturnType<typeof setInterval>;
}

/** `clearInterval(timer)` with the platform's original. */
export function safeClearInterval(timer: Parameters<typeof clearInterval>[0]): void {
  ReflectApply(clearIntervalOriginal, globalThis, [timer]);
}

/** `array.push(item)` with the original `Array.prototype.push`. Returns the new length. */
export function safePush<T>(array: T[], item: T): number {
  return ReflectApply(ArrayPush, array, [item]) as number;
}

/** `promise.then(onFulfilled, onRejected)` with the original `Promise.prototype.then`. */
export function safeThen<T, R1 = T, R2 = never>(
  promise: Promise<T>,
  onFulfilled: ((value: T) => R1 | PromiseLike<R1>) | undefined,
  onRejected?: (reason: unknown) => R2 | PromiseLike<R2>,
): Promise<R1 | R2> {
  return ReflectApply(PromiseThen, promise, [onFulfilled, onRejected]) as Promise<R1 | R2>;
}

/** A promise resolved with `undefined`, made with the original constructor. */
export function resolvedPromise(): Promise<void> {
  return new PromiseOriginal<void>((resolve) => resolve());
}

/** Call `fn` with `thisArg` and `args` through the original `Reflect.apply`. */
export function safeApply<R>(fn: (...args: never[]) => R, thisArg: unknown, args: readonly unknown[]): R {
  return ReflectApply(fn as (...a: unknown[]) => R, thisArg, args as unknown[]);
}
