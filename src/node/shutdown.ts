/**
 * One shutdown path for the whole process: SIGINT, SIGTERM, SIGHUP, uncaught exceptions and
 * unhandled rejections all lead to the same sequence —
 *
 * 1. an uncaught error is printed first (never swallowed);
 * 2. the target is cleaned up (a ResourceManager: `dispose({ force: true })`, every
 *    component newest first, children first) within `deadlineMs`;
 * 3. what failed, and what was still stuck at the deadline, is logged;
 * 4. the process exits with the conventional code: 130 (SIGINT), 143 (SIGTERM), 129 (SIGHUP),
 *    128 + n for other signals, 1 for an uncaught error.
 *
 * A second signal during cleanup exits at once (with that signal's code). The `exit` event —
 * `process.exit()` called anywhere, or the event loop running dry — runs the synchronous part
 * of the cleanup (`cleanupSync`; for a manager every disposer, none awaited).
 *
 * Coexistence: listeners are added with `process.on`, never replacing anybody's; other
 * listeners of the same signals still run (note that Node no longer exits by itself on a
 * signal that has a listener, so the exit is ours). Only one shutdown path can be installed at
 * a time: a second `installShutdown` throws — give it one target that cleans up everything
 * (the plugin host passes its own dependents-first cleanup). `uninstall()` removes exactly
 * our listeners; a shutdown already running is not cancelled.
 *
 * Contained faults: an uncaught error or unhandled rejection that a fault claimer takes
 * (containment.ts — a plugin host claims its inline plugins' errors) fails that plugin and does
 * not start a shutdown. The path uses Steward's own references to timers, promises and process
 * methods (intrinsics), so a plugin that replaced the globals cannot break it.
 */
import { constants } from 'node:os';
import { inspect } from 'node:util';
import { StewardRangeError, StewardTypeError } from '../core/errors.js';
import { type CleanupReport, ResourceManager, StewardError } from '../core/index.js';
import {
  PromiseOriginal,
  resolvedPromise,
  safeClearTimeout,
  safeSetTimeout,
  safeThen,
} from '../core/intrinsics.js';
import { runOutsideComponents } from './attribution-context.js';
import { _setShutdownListens, claimFault } from './containment.js';
import { disposeSync } from './dispose-sync.js';
import { restoreGlobals } from './globals-guard.js';
import { processExit, processOff, processOn, writeStderr } from './intrinsics.js';

/** Something that can be cleaned up at shutdown (the plugin host, or a custom aggregate). */
export interface ShutdownTarget {
  /** Clean everything up. `reason` names the trigger (`SIGTERM`, `uncaughtException`…). */
  cleanup(reason: string): Promise<unknown>;
  /** Synchronous best effort, run on the `exit` event (no awaiting possible there). */
  cleanupSync?(): void;
  /** Lines describing what is not cleaned up yet, logged when the deadline passes or a second signal arrives. */
  pending?(): string[];
}

/** Options of `installShutdown`. */
export interface ShutdownOptions {
  /** Time cleanup gets before the process exits anyway, ms. Default 8000 (fits Docker's 10 s stop timeout). */
  readonly deadlineMs?: number;
  /** Signals handled. Default SIGINT, SIGTERM, SIGHUP (SIGHUP is not handled on Windows). */
  readonly signals?: readonly NodeJS.Signals[];
  /** Handle uncaught exceptions and unhandled rejections (print, clean up, exit 1). Default true. */
  readonly uncaught?: boolean;
  /** Run the target's synchronous cleanup on the `exit` event. Default true. */
  readonly syncOnExit?: boolean;
  /** Where progress and problems are written. Default: stderr, prefixed with `[steward]`. */
  readonly log?: (line: string) => void;
  /** How the process exits. Default `process.exit`. */
  readonly exit?: (code: number) => void;
}

/** The installed shutdown path. */
export interface ShutdownHandle extends Disposable {
  /** `idle` until triggered, `running` during cleanup, `done` once exit was called, `uninstalled`. */
  readonly state: 'idle' | 'running' | 'done' | 'uninstalled';
  /** Trigger the shutdown now, as a signal would (exit code default 0). Resolves when exit was called. */
  shutdown(reason?: string, code?: number): Promise<void>;
  /** Remove the listeners. Idempotent. Does not cancel a shutdown already running. */
  uninstall(): void;
  /** Same as `uninstall()`. */
  dispose(): void;
}

/** The exit code conventionally used after `signal`: 128 + its number (SIGINT 130, SIGTERM 143, SIGHUP 129). */
export function signalExitCode(signal: NodeJS.Signals): number {
  const n = (constants.signals as Record<string, number | undefined>)[signal];
  return 128 + (n ?? 15);
}

function isReport(value: unknown): value is CleanupReport {
  return (
    value !== null &&
    typeof value === 'object' &&
    Array.isArray((value as CleanupReport).failed) &&
    Array.isArray((value as CleanupReport).abandoned)
  );
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : inspect(error);
}

/** A ResourceManager as a shutdown target. */
export function managerShutdownTarget(manager: ResourceManager, deadlineMs: number): ShutdownTarget {
  // Leave the core a margin before the hard deadline so its report (with what was abandoned) arrives first.
  const coreDeadline = Math.max(1, deadlineMs - Math.min(500, deadlineMs / 5));
  return {
    cleanup: (reason) =>
      manager.dispose({ force: true, deadlineMs: coreDeadline, reason: `shutdown (${reason})` }),
    cleanupSync: () => {
      disposeSync(manager);
    },
    pending: () =>
      manager
        .components()
        .filter((c) => c.resourceCount > 0 || c.state === 'cleaning')
        .map(
          (c) =>
            `${c.type} "${c.id}" (${c.state}) still holds: ` +
            (c
              .resources()
              .map((r) => `${r.type} #${r.id}`)
              .join(', ') || 'nothing (waiting for its children)'),
        ),
  };
}

let installed: { readonly description: string } | undefined;

/**
 * Install the shutdown path for `target` (a ResourceManager or a `ShutdownTarget`). Throws
 * TypeError/RangeError on bad arguments and StewardError if a shutdown path is already installed.
 */
export function installShutdown(
  target: ResourceManager | ShutdownTarget,
  options: ShutdownOptions = {},
): ShutdownHandle {
  if (options === null || typeof options !== 'object') {
    throw new StewardTypeError('installShutdown(target, options): options must be an object.');
  }
  const deadlineMs = options.deadlineMs ?? 8000;
  if (!(Number.isFinite(deadlineMs) && deadlineMs > 0)) {
    throw new StewardRangeError(
      `installShutdown(): deadlineMs must be a finite number > 0 (got ${deadlineMs}).`,
    );
  }
  const isManager = target instanceof ResourceManager;
  if (!isManager && (target === null || typeof target !== 'object' || typeof target.cleanup !== 'function')) {
    throw new StewardTypeError(
      'installShutdown(target): target must be a ResourceManager or an object with a cleanup(reason) method returning a promise.',
    );
  }
  const defaultSignals: NodeJS.Signals[] =
    process.platform === 'win32' ? ['SIGINT', 'SIGTERM'] : ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const signals = [...(options.signals ?? defaultSignals)];
  for (const signal of signals) {
    if (
      typeof signal !== 'string' ||
      !(signal in constants.signals) ||
      signal === 'SIGKILL' ||
      signal === 'SIGSTOP'
    ) {
      throw new StewardTypeError(
        `installShutdown(): cannot handle signal ${String(signal)}; use names like SIGINT or SIGTERM.`,
      );
    }
  }
  if (installed !== undefined) {
    throw new StewardError(
      `installShutdown(): a shutdown path is already installed (${installed.description}). Uninstall it first, ` +
        'or install one target whose cleanup covers everything.',
      { code: 'STEWARD_SHUTDOWN_INSTALLED' },
    );
  }
  const shutdownTarget = isManager ? managerShutdownTarget(target, deadlineMs) : target;
  const log = options.log ?? ((line: string) => writeStderr(`[steward] ${line}\n`));
  const exit = options.exit ?? ((code: number) => processExit(code));
  const handleUncaught = options.uncaught ?? true;
  const syncOnExit = options.syncOnExit ?? true;

  let state: ShutdownHandle['state'] = 'idle';
  let finished: Promise<void> | undefined;
  let resolveFinished: () => void = () => {};

  const safeLog = (line: string): void => {
    try {
      log(line);
    } catch {
      writeStderr(`[steward] ${line}\n`);
    }
  };
  const logPending = (): void => {
    let lines: string[] = [];
    try {
      lines = shutdownTarget.pending?.() ?? [];
    } catch (error) {
      lines = [`(could not list what is pending: ${errorText(error)})`];
    }
    for (const line of lines) safeLog(`  stuck: ${line}`);
  };
  const finish = (code: number): void => {
    if (state === 'done') return;
    state = 'done';
    resolveFinished();
    exit(code);
  };
  const logOutcome = (outcome: unknown, ms: number): void => {
    if (!isReport(outcome)) {
      safeLog(`cleanup finished in ${ms} ms`);
      return;
    }
    const problems = outcome.failed.length + outcome.abandoned.length;
    safeLog(
      `cleaned up ${outcome.components.length} component(s) in ${ms} ms: ${outcome.released} released` +
        (problems > 0 ? `, ${outcome.failed.length} failed, ${outcome.abandoned.length} stuck` : ''),
    );
    for (const f of outcome.failed) {
      safeLog(`  failed: ${f.type} #${f.resourceId} of "${f.componentId}": ${errorText(f.error)}`);
    }
    for (const a of outcome.abandoned) {
      safeLog(`  stuck: ${a.type} #${a.resourceId} of "${a.componentId}": ${a.error.message}`);
    }
  };

  // Outside any component: a shutdown set off from a plugin's code (its uncaught error, its
  // signal) must not attribute the deadline timer and the cleanup's own handles to that plugin.
  const start = (reason: string, code: number): Promise<void> =>
    runOutsideComponents(() => startCleanup(reason, code));
  const startCleanup = (reason: string, code: number): Promise<void> => {
    if (finished !== undefined) return finished;
    state = 'running';
    process.exitCode = code; // should the loop run dry meanwhile, the code is still right
    finished = new PromiseOriginal<void>((resolve) => {
      resolveFinished = resolve;
    });
    safeLog(
      `${reason}: cleaning up (deadline ${deadlineMs} ms)` +
        (signals.includes(reason as NodeJS.Signals)
          ? `; send ${reason === 'SIGINT' ? 'Ctrl+C' : reason} again to exit at once`
          : signals.length > 0
            ? `; ${signals.join(', ')} exits at once`
            : ''),
    );
    // Everything below (and every plugin's deactivate) runs with the platform's own built-ins.
    for (const line of restoreGlobals(reason)) safeLog(line);
    const started = performance.now();
    const timer = safeSetTimeout(() => {
      safeLog(`cleanup did not finish within ${deadlineMs} ms; exiting anyway`);
      logPending();
      finish(code);
    }, deadlineMs);
    safeThen(
      safeThen(resolvedPromise(), () => shutdownTarget.cleanup(reason)),
      (outcome) => {
        safeClearTimeout(timer);
        if (state !== 'running') return;
        logOutcome(outcome, Math.round(performance.now() - started));
        finish(code);
      },
      (error: unknown) => {
        safeClearTimeout(timer);
        if (state !== 'running') return;
        safeLog(`cleanup failed after ${Math.round(performance.now() - started)} ms: ${inspect(error)}`);
        finish(code);
      },
    );
    return finished;
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    if (state === 'running') {
      safeLog(`${signal} received again: exiting now without waiting for cleanup`);
      logPending();
      finish(signalExitCode(signal));
      return;
    }
    if (state === 'idle') void start(signal, signalExitCode(signal));
  };
  const onUncaught = (error: unknown, origin?: string): void => {
    // A fault of hosted code (an inline plugin's) fails that plugin, not the process.
    if (claimFault(error, origin === 'unhandledRejection' ? 'unhandledRejection' : 'uncaughtException'))
      return;
    const what = origin === 'unhandledRejection' ? 'Unhandled promise rejection' : 'Uncaught exception';
    safeLog(`${what}:\n${inspect(error)}`);
    if (state === 'idle')
      void start(origin === 'unhandledRejection' ? 'unhandledRejection' : 'uncaughtException', 1);
    // During a shutdown: printed, and the running cleanup goes on (the deadline bounds it).
  };
  const onRejection = (reason: unknown): void => onUncaught(reason, 'unhandledRejection');
  const onExit = (): void => {
    if (!syncOnExit || shutdownTarget.cleanupSync === undefined) return;
    try {
      shutdownTarget.cleanupSync();
    } catch (error) {
      safeLog(`synchronous cleanup at exit failed: ${inspect(error)}`);
    }
  };

  for (const signal of signals) processOn(signal, onSignal);
  if (handleUncaught) {
    processOn('uncaughtException', onUncaught);
    processOn('unhandledRejection', onRejection);
    _setShutdownListens(true);
  }
  processOn('exit', onExit);
  const token = { description: isManager ? 'for a ResourceManager' : 'for a custom target' };
  installed = token;

  const uninstall = (): void => {
    if (state === 'uninstalled') return;
    for (const signal of signals) processOff(signal, onSignal);
    processOff('uncaughtException', onUncaught);
    processOff('unhandledRejection', onRejection);
    processOff('exit', onExit);
    if (handleUncaught) _setShutdownListens(false);
    if (installed === token) installed = undefined;
    if (state === 'idle') state = 'uninstalled';
  };
  return {
    get state() {
      return state;
    },
    shutdown: (reason = 'shutdown requested', code = 0) => {
      if (state === 'uninstalled') {
        return Promise.reject(
          new StewardError('shutdown(): this shutdown path was uninstalled.', {
            code: 'STEWARD_SHUTDOWN_UNINSTALLED',
          }),
        );
      }
      return start(reason, code);
    },
    uninstall,
    dispose: uninstall,
    [Symbol.dispose]: uninstall,
  };
}
