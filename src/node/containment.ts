/**
 * Fault containment for code that shares the host's process (inline plugins): an uncaught
 * exception, an unhandled rejection, or a call to `process.exit()`, `process.abort()` or
 * `process.kill(process.pid, …)` is offered to the registered {@link FaultClaimer}s (a plugin host
 * is one) before anything else happens. A claimer that recognises the code — by the component of
 * the async context the code ran in (attribution-context.ts), or by its files in the stack —
 * takes it: the error ends that plugin, not the process; the exit, abort or kill is not done and
 * throws the claimer's error into the code that called it.
 *
 * What no claimer takes behaves as without Steward: with `installShutdown` its shutdown path
 * runs; else other `uncaughtException` listeners of the application handle it; else it is
 * printed and the process exits with code 1, as Node's default does. Unhandled rejections reach
 * us as uncaught exceptions in Node's default mode (`--unhandled-rejections=throw`); an
 * application with its own `unhandledRejection` listener calls {@link claimFault} there.
 *
 * While at least one claimer is registered, `process.exit`, `process.abort` and `process.kill`
 * are Steward's guards (calls from code no claimer takes go to Node's own, unchanged) and one
 * `uncaughtException` listener is installed. Both are removed with the last claimer.
 */
import { inspect } from 'node:util';
import { type Component, StewardTypeError } from '../core/index.js';
import { componentStorage } from './attribution-context.js';
import {
  ORIGINAL_PROCESS_METHODS,
  processListenerCount,
  processOff,
  processOn,
  writeStderr,
} from './intrinsics.js';

/** How code tried to fail or end its host. */
export type FaultKind = 'uncaughtException' | 'unhandledRejection' | 'exit' | 'abort' | 'kill';

/** One fault, as a claimer sees it. */
export interface Fault {
  readonly kind: FaultKind;
  /** What was thrown or rejected (`uncaughtException`, `unhandledRejection`); undefined for a call. */
  readonly error: unknown;
  /** The arguments of the `exit`/`abort`/`kill` call (empty for errors). */
  readonly args: readonly unknown[];
  /** The component of the async context the faulting code ran in, if any. */
  readonly component: Component | undefined;
  /** The error's stack, or for a call the stack of the caller; undefined when there is none. */
  readonly stack: string | undefined;
}

/** Recognises the faults of code it is responsible for. */
export interface FaultClaimer {
  /**
   * Take `fault` if it belongs to code you host: handle it (fail that plugin) and return the
   * error that reports it — for a call, the error thrown into the caller. Return undefined to
   * leave it to the next claimer and then to the process. Must not throw.
   */
  claim(fault: Fault): Error | undefined;
}

const claimers = new Set<FaultClaimer>();
/** Errors already claimed (and the errors thrown by the guards): each is handled once. */
const claimed = new WeakSet<object>();
let shutdownListens = false;
const guards = {
  exit: guardedExit as typeof process.exit,
  abort: guardedAbort as typeof process.abort,
  kill: guardedKill as typeof process.kill,
};

function isObject(value: unknown): value is object {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}

function stackOf(error: unknown): string | undefined {
  if (!isObject(error)) return undefined;
  try {
    const stack = (error as { stack?: unknown }).stack;
    return typeof stack === 'string' ? stack : undefined;
  } catch {
    return undefined; // a hostile getter
  }
}

function offer(fault: Fault): Error | undefined {
  for (const claimer of claimers) {
    let taken: Error | undefined;
    try {
      taken = claimer.claim(fault);
    } catch {
      taken = undefined; // a broken claimer must not turn a contained fault into a crash
    }
    if (taken !== undefined) {
      claimed.add(taken);
      return taken;
    }
  }
  return undefined;
}

/**
 * Offer an uncaught error to the claimers. Returns true when one took it (or took it before):
 * the caller must then do nothing more with it. Call it first in your own `uncaughtException`
 * or `unhandledRejection` listener if you install one; `installShutdown` does.
 */
export function claimFault(error: unknown, origin: 'uncaughtException' | 'unhandledRejection'): boolean {
  if (isObject(error) && claimed.has(error)) return true;
  if (claimers.size === 0) return false;
  const taken = offer({
    kind: origin,
    error,
    args: [],
    component: componentStorage.getStore(),
    stack: stackOf(error),
  });
  if (taken === undefined) return false;
  if (isObject(error)) claimed.add(error);
  return true;
}

function callerStack(above: Function): string | undefined {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 50;
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, above);
  Error.stackTraceLimit = limit;
  return holder.stack;
}

function offerCall(kind: 'exit' | 'abort' | 'kill', args: readonly unknown[], above: Function): void {
  const taken = offer({
    kind,
    error: undefined,
    args,
    component: componentStorage.getStore(),
    stack: callerStack(above),
  });
  if (taken !== undefined) throw taken;
}

function guardedExit(this: unknown, ...args: unknown[]): never {
  offerCall('exit', args, guardedExit);
  return Reflect.apply(ORIGINAL_PROCESS_METHODS.exit, process, args) as never;
}

function guardedAbort(this: unknown, ...args: unknown[]): never {
  offerCall('abort', args, guardedAbort);
  return Reflect.apply(ORIGINAL_PROCESS_METHODS.abort, process, args) as never;
}

/** Whether `kill(pid, signal)` would signal this process (its pid, its group, everybody). */
function hitsSelf(pid: unknown, signal: unknown): boolean {
  if (signal === 0 || signal === '0') return false; // an existence check
  const n = Number(pid);
  return n === process.pid || n === 0 || n === -1 || n === -process.pid;
}

function guardedKill(this: unknown, ...args: unknown[]): true {
  if (hitsSelf(args[0], args[1])) offerCall('kill', args, guardedKill);
  return Reflect.apply(ORIGINAL_PROCESS_METHODS.kill, process, args) as true;
}

/** What Node does with an uncaught error when nobody listens: print it, exit 1. */
function nodeDefault(error: unknown): void {
  writeStderr(`${inspect(error)}\n\nNode.js ${process.version}\n`);
  Reflect.apply(ORIGINAL_PROCESS_METHODS.exit, process, [1]);
}

function onUncaught(error: unknown, origin: unknown): void {
  if (shutdownListens) return; // the shutdown path's listener offers it, then handles the rest
  const kind = origin === 'unhandledRejection' ? 'unhandledRejection' : 'uncaughtException';
  if (claimFault(error, kind)) return;
  if (processListenerCount('uncaughtException') > 1) return; // the application's own listener has it
  nodeDefault(error);
}

function install(): void {
  processOn('uncaughtException', onUncaught);
  process.exit = guards.exit;
  process.abort = guards.abort;
  process.kill = guards.kill;
}

function uninstall(): void {
  processOff('uncaughtException', onUncaught);
  // Put Node's back only where ours still are (someone may have wrapped ours since).
  if (process.exit === guards.exit) process.exit = ORIGINAL_PROCESS_METHODS.exit;
  if (process.abort === guards.abort) process.abort = ORIGINAL_PROCESS_METHODS.abort;
  if (process.kill === guards.kill) process.kill = ORIGINAL_PROCESS_METHODS.kill;
}

/**
 * Register `claimer`; returns the function that removes it (idempotent). The first registration
 * installs the guards and the listener, removing the last one removes them.
 */
export function addFaultClaimer(claimer: FaultClaimer): () => void {
  if (claimer === null || typeof claimer !== 'object' || typeof claimer.claim !== 'function') {
    throw new StewardTypeError(
      'addFaultClaimer(claimer): claimer must be an object with a claim(fault) method.',
    );
  }
  if (claimers.size === 0) install();
  claimers.add(claimer);
  let removed = false;
  return () => {
    if (removed) return;
    removed = true;
    claimers.delete(claimer);
    if (claimers.size === 0) uninstall();
  };
}

/** Whether `value` is one of Steward's process guards (a replaced `process.exit` is not). */
export function isProcessGuard(value: unknown): boolean {
  return value === guards.exit || value === guards.abort || value === guards.kill;
}

/** @internal Steward's guard of `process[key]` while containment is installed, else undefined. */
export function activeProcessGuard(key: 'exit' | 'kill' | 'abort'): Function | undefined {
  return claimers.size > 0 ? guards[key] : undefined;
}

/** @internal The shutdown path tells us it listens (and offers errors itself) while installed. */
export function _setShutdownListens(listens: boolean): void {
  shutdownListens = listens;
}
