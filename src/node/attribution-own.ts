/**
 * What is Steward's or Node's own, not the plugin's: the component whose code is current when
 * a handle is created is not always the code that created it. Node schedules its own work in
 * the current async context (`process._fatalException` queues a `setImmediate(noop)`; a TTY
 * stream adds a `SIGWINCH` listener), and Steward's code may run inside a plugin's context
 * (a shutdown set off by the plugin's error). Attribution drops such records:
 *
 * - the innermost frame that is not Node's is one of Steward's own files (dist/, src/, cjs/);
 * - a timer, immediate or listener with no frame but Node's at all (Node's bookkeeping: a
 *   server socket's own timeout, the immediate after an uncaught exception);
 * - without creation stacks: the `noop` immediate Node queues after an uncaught exception.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { INTERNAL_FRAME, type StackTrace } from './attribution-hook.js';
import type { HandleKind } from './handle-kinds.js';

/** Steward's own source folders, as paths and as file URLs (ESM stacks show URLs). */
const OWN_PREFIXES: readonly string[] = (() => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  return ['dist', 'src', 'cjs'].flatMap((dir) => {
    const path = `${root}${dir}/`;
    return [path, pathToFileURL(path).href];
  });
})();

/** Whether a stack line is a frame of Steward's own code. */
export function isStewardFrame(line: string): boolean {
  return OWN_PREFIXES.some((prefix) => line.includes(prefix));
}

/** The frames of `trace` below its message line that are not Node's own. */
function nonNodeFrames(trace: StackTrace): string[] {
  return (trace.stack ?? '')
    .split('\n')
    .slice(1)
    .filter((line) => line.trimStart().startsWith('at ') && !INTERNAL_FRAME.test(line));
}

/** Whether a record with this creation trace belongs to Steward or Node rather than to the component. */
export function createdByRuntime(kind: HandleKind, trace: StackTrace | undefined, resource: object): boolean {
  if (trace === undefined) return kind === 'immediate' && isNodeNoopImmediate(resource);
  const frames = nonNodeFrames(trace);
  if (frames.length === 0) return kind === 'timer' || kind === 'immediate' || kind === 'listener';
  return isStewardFrame(frames[0]!);
}

/** The immediate `process._fatalException` queues after an uncaught exception: `setImmediate(function noop() {})`. */
function isNodeNoopImmediate(resource: object): boolean {
  const callback = (resource as { _onImmediate?: unknown })._onImmediate;
  return typeof callback === 'function' && callback.name === 'noop' && callback.length === 0;
}
