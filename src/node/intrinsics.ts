/**
 * Steward's own references to the Node built-ins its shutdown and containment paths rely on,
 * captured when this module is first imported (before any plugin runs): the `process` methods a
 * plugin may replace or that Steward itself guards (`exit`, `kill`, `abort`), the listener
 * methods, `nextTick` and the stderr writer. See `src/core/intrinsics.ts` for the platform ones.
 */

type Exit = (code?: number) => never;
type Kill = (pid: number, signal?: string | number) => true;

const ReflectApply = Reflect.apply;
const exit = process.exit;
const kill = process.kill;
const abort = process.abort;
const on = process.on;
const off = process.off;
const listenerCount = process.listenerCount;
const stderrWrite = process.stderr.write;
const stderr = process.stderr;

/** `process.exit(code)` as Node defines it, whatever a plugin did to `process.exit`. */
export function processExit(code: number): never {
  return ReflectApply(exit as Exit, process, [code]) as never;
}

/** `process.kill(pid, signal)` as Node defines it. */
export function processKill(pid: number, signal?: string | number): true {
  return ReflectApply(kill as Kill, process, signal === undefined ? [pid] : [pid, signal]) as true;
}

/** `process.abort()` as Node defines it. */
export function processAbort(): never {
  return ReflectApply(abort, process, []) as never;
}

/** `process.on(event, listener)`, original. */
export function processOn(event: string, listener: (...args: never[]) => void): void {
  ReflectApply(on, process, [event, listener]);
}

/** `process.off(event, listener)`, original. */
export function processOff(event: string, listener: (...args: never[]) => void): void {
  ReflectApply(off, process, [event, listener]);
}

/** `process.listenerCount(event)`, original. */
export function processListenerCount(event: string): number {
  return ReflectApply(listenerCount, process, [event]) as number;
}

/** Write `text` to the process's stderr with the original `write`. */
export function writeStderr(text: string): void {
  ReflectApply(stderrWrite, stderr, [text]);
}

/** The original `process.exit`, `process.kill`, `process.abort` (to restore or compare with). */
export const ORIGINAL_PROCESS_METHODS = Object.freeze({ exit, kill, abort });
